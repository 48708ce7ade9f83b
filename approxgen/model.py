"""The golden integer model: the one definition of what every emitted target computes.

Each form's model class lives with its plug-in in :mod:`approxgen.forms` (``evaluate`` on numpy
int64 arrays, computed widths, JSON); this module re-exports them for compatibility.
"""

from __future__ import annotations

from approxgen.forms import MAX_ACC_BITS
from approxgen.forms.pwl import PwlModel, PwlWidths, pwl_output
from approxgen.forms.table import TableModel

Model = PwlModel | TableModel  # any form's model: see approxgen.forms.FORMS

__all__ = ["MAX_ACC_BITS", "Model", "PwlModel", "PwlWidths", "TableModel", "pwl_output"]
