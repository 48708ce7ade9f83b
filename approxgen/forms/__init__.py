"""Forms: what an approximation computes. Each form is a plug-in module holding ``FORM``, an
instance of a :class:`Form` subclass, and is named in :data:`FORMS` (imported only when used).

A form brings its golden model class (``evaluate``, ``to_json``/``from_json``, ``check``; the one
definition of its integer arithmetic), how it is fitted, and its report rows and summary lines.
What an emitter makes of it (C and Verilog contexts, vector fields, the hardware estimate) lives in
that emitter's module, filed under the form's :attr:`Form.key` (:mod:`approxgen.emit`). Shared
code asks the form (:func:`get`) and never branches on its name. Adding a form = one module here,
its templates with their emitter code, and one line in :data:`FORMS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from approxgen.errors import ApproxgenError

FORMS = {
    "pwl": "approxgen.forms.pwl",
    "table": "approxgen.forms.table",
    "quadratic": "approxgen.forms.quadratic",
    "ibert": "approxgen.forms.ibert",
    "interp": "approxgen.forms.interp",
}
MAX_ACC_BITS = 62  # the golden model computes in int64; wider pipelines are refused
# Wrappers: a model-JSON key -> the module whose model wraps another form's model (its
# ``model_from_json`` and ``wrapping_problem``; the wrapped model names its plug-in, ``plugin``).
WRAPPERS = {"range_reduction": "approxgen.forms.ranged", "fold": "approxgen.forms.folded"}


@dataclass(frozen=True)
class Key:
    """A spec key of its own that a form declares (:attr:`Form.keys`): the spec, the CLI and the
    artifact read it from here. ``choices`` (the words and integers it takes) or an integer
    range ``lo..hi``; ``default`` when a spec of the form leaves it out (or sets it null);
    ``unset``: its value in a spec of a form that does not read it; ``flag`` and ``help`` for
    the CLI. Recorded in the canonical spec (what the hash covers) unless ``optional`` and
    ``None`` or ``implicit`` (the value an artifact that does not record it means), so specs
    from before a key keep their hash. ``real``: any number in ``lo..hi`` (``unit`` named in a
    refusal), not only an integer."""

    name: str
    flag: str
    help: str
    default: Any = None
    choices: tuple | None = None
    lo: int | None = None
    hi: int | None = None
    unset: Any = None
    optional: bool = True
    implicit: Any = None
    real: bool = False
    unit: str = ""

    def recorded(self, value) -> bool:
        """Whether the canonical spec records ``value`` of this key."""
        return not self.optional or value not in (None, self.implicit)


DECODE_SLACK = 0.25  # LSB of max error the C decoder's grid may cost

# Declared by every segmented form whose fit :func:`approxgen.fitting.place` places (pwl,
# quadratic): they share the C segment decoder. Unset, it is the default.
DECODE_SLACK_KEY = Key(
    "decode_slack", "--decode-slack",
    "pwl, quadratic: move the breakpoints to the C decoder's 64-code grid (a bucket table "
    "without compares: faster C) when that costs at most this many LSB of max error (0-1, "
    "default 0.25; 0: off). Inputs of 12+ bits, 9+ segments.",
    default=DECODE_SLACK, lo=0, hi=1, real=True, unit="LSB", unset=DECODE_SLACK,
    implicit=DECODE_SLACK)  # read by approxgen.fit.decode.on_grid

# Declared by every form whose model a companion can read (approxgen.companion): a second
# function the fit's kernel serves from its own tables, counted once in the whole footprint.
COMPANION_KEY = Key(
    "companion", "--companion",
    "tanh: also serve sigmoid from the same kernel and tables (sigmoid(x) = (1 + tanh(x/2)) / "
    "2, C functions NAME_sigmoid and NAME_sigmoid_array; bytes_target counts the pair once). "
    "Default none.",
    default="none", choices=("none", "sigmoid"), unset="none", implicit="none")

# Declared by every form range reduction may wrap (approxgen.forms.ranged).
RANGE_REDUCTION_KEY = Key(
    "range_reduction", "--range-reduction",
    "pwl, quadratic, interp: exp2 fits exp on d <= 0 as 2^-k 2^-r (k, r from |d| / ln 2 at the "
    "output's bits; the form fits 2^-r on [0, 1), then a rounded shift by k). Default none.",
    default="none", choices=("none", "exp2"), unset="none", implicit="none")


def declared_keys() -> dict[str, Key]:
    """Every key a registered form declares (:attr:`Form.keys`), by name, in form order."""
    return {key.name: key for name in FORMS for key in get(name).keys}


def get(name: str) -> "Form":
    """The form plug-in called ``name`` (an ApproxgenError if there is none)."""
    if not isinstance(name, str) or name not in FORMS:
        raise ApproxgenError(f"unknown form {name!r} (known: {', '.join(FORMS)})")
    return importlib.import_module(FORMS[name]).FORM


def of(model) -> "Form":
    """The form plug-in of a golden model instance (a wrapping model brings its own)."""
    plugin = getattr(model, "plugin", None)
    return plugin if plugin is not None else get(model.form)


def model_from_json(data: dict, inp, out):
    """The golden model of an artifact's ``model`` mapping (wrapped or not), checked."""
    for key, module in WRAPPERS.items():
        if key in data:
            return importlib.import_module(module).model_from_json(data, inp, out)
    return get(data.get("form")).model_class.from_json(data, inp, out)


def wrapped_fit(spec, form: "Form", progress: bool, weights=None):
    """``(model, info)`` of ``form``: by the first wrapper whose ``applies(spec)`` (its ``fit``
    wraps ``form``'s), else by ``form`` itself."""
    for module in WRAPPERS.values():
        wrapper = importlib.import_module(module)
        if wrapper.applies(spec):
            return wrapper.fit(spec, form, progress, weights)
    return form.fit(spec, progress, weights)


def wrapping_problem(model, spec) -> str | None:
    """Why the spec's wrapper keys (``fold``) refuse ``model`` (None when they do not)."""
    for module in WRAPPERS.values():
        problem = importlib.import_module(module).wrapping_problem(model, spec)
        if problem:
            return problem
    return None


def objective_phrase(spec) -> str:
    """``objective max`` (and how it is weighted, with ``weights: samples``)."""
    weighted = " weighted by the calibration samples" if spec.weights == "samples" else ""
    return f"objective {spec.objective}{weighted}"


class Form:
    """The protocol every form implements. Defaults suit an unsegmented form without
    coefficients; segmented forms override the hooks marked so. ``name``: its spec name;
    ``model_class``: its golden model; ``segmented``: it has segments, a breakpoint search and an
    objective; ``weighted``: it fits weighted objectives; ``fits_bytes``: it meets ``max_bytes``
    itself; ``foldable``: it may fit one half of a symmetric function; ``spec_keys``: the keys
    it reads beyond :data:`approxgen.spec.COMMON_KEYS`, ``keys`` its own (:class:`Key`);
    ``fitter``: what fits it."""

    name: str = ""
    model_class: type = object
    segmented: bool = False  # has segments, a breakpoint search and an objective
    weighted = False  # fits an objective weighted per code (weights: samples)
    fits_bytes = False  # meets max_bytes itself (else approxgen.budget tries segment counts)
    foldable = True  # may fit one half of a symmetric function (approxgen.forms.folded)
    # the spec keys it reads beyond spec.COMMON_KEYS; any other is refused (spec.resolve)
    spec_keys: frozenset[str] = frozenset()
    keys: tuple[Key, ...] = ()  # its own keys (among spec_keys), declared: type, default, flag

    @property
    def key(self) -> str:
        """What emitters file their code for this form under (its name; a wrapper: its own)."""
        return self.name

    # --- fitting -------------------------------------------------------------------------------
    def supports(self, function) -> bool:
        """Whether the form can approximate ``function`` (a ``functions.Function``)."""
        return True

    # "module:function" fitting it (the default fit calls it): by name, as the solvers above
    # the golden models build its models (a form imports no solver)
    fitter: str | None = None

    def fit(self, spec, progress: bool, weights=None):
        """``(model, search info)`` for a validated spec (info: method, seed, settings, notes);
        ``weights`` (one per domain code) only for a form that is :attr:`weighted`. The
        default: :attr:`fitter` (``fitter(spec, progress, weights)``)."""
        if self.fitter is None:
            raise NotImplementedError
        module, function = self.fitter.split(":")
        return getattr(importlib.import_module(module), function)(spec, progress, weights)

    def search_refusal(self, search: str) -> str | None:
        """Why the form does not run breakpoint search ``search`` (None: it does); checked when
        the spec is read, before any fit."""
        return None

    def method(self, spec) -> str:
        """The ``search.method`` a fit of ``spec`` records."""
        return spec.search if self.segmented else self.name

    def disagreement(self, model, spec) -> str | None:
        """Why ``model`` cannot be a fit of ``spec`` (None when it can)."""
        return None

    # --- descriptions ---------------------------------------------------------------------------
    def segments(self, model) -> int | None:
        return model.segments if self.segmented else None

    def shape(self, model) -> str:
        """``pwl, 8 segments`` / ``table``: one phrase for status lines."""
        k = self.segments(model)
        return f"{self.name}, {k} segments" if k is not None else self.name

    def provenance_line(self, fit) -> str:
        info = fit.search
        return (f"form {self.name}, {fit.model.segments} segments, search {info['method']}, "
                f"seed {info['seed']}, {objective_phrase(fit.spec)}")

    def summary_suffix(self, fit) -> str:
        """What follows ``form NAME`` on the first line of ``approxgen fit``'s summary."""
        if not self.segmented:
            return ""
        info = fit.search
        return (f", {fit.model.segments} segments, search {info['method']} (seed {info['seed']}),"
                f" {objective_phrase(fit.spec)}")

    def integers_line(self, model, spec) -> str:
        """What the integers are and how wide (``approxgen fit``'s summary)."""
        raise NotImplementedError

    def markdown_lines(self, fit) -> list[str]:
        """The Markdown report's bullet lines on the form and its integers."""
        info = fit.search
        return [f"- form: {self.name}, {fit.model.segments} segments; search {info['method']} "
                f"(seed {info['seed']}), {objective_phrase(fit.spec)}",
                f"- integers: {self.integers_line(fit.model, fit.spec)}"]

    def segment_table(self, fit) -> str:
        """The text of ``report`` for an unsegmented form (segmented ones list their rows)."""
        raise NotImplementedError

    def row_columns(self) -> list[tuple[str, int]]:
        """(name, text width) of the form's own per-segment integers in report tables."""
        return []

    def row_values(self, model, segment: int) -> dict[str, int]:
        """The integers of ``segment`` named as in :meth:`row_columns`."""
        return {}

    def boundaries(self, model) -> tuple[int, ...]:
        """Input codes where a new segment starts (drawn in plots)."""
        return ()


def json_int(data: dict, key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApproxgenError(f"model.{key} must be an integer")
    return value


def json_ints(data: dict, key: str) -> list[int]:
    value = data.get(key)
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int)
                                          for v in value):
        raise ApproxgenError(f"model.{key} must be a list of integers")
    return value


class WrapperForm(Form):
    """The plug-in of a wrapping model (:data:`WRAPPERS`): the inner form's, delegated; a wrapper
    adds its own arithmetic's descriptions."""

    def __init__(self, inner: Form):
        self.inner = inner
        self.name = inner.name
        self.segmented = inner.segmented
        self.weighted = inner.weighted
        self.spec_keys = inner.spec_keys
        self.keys = inner.keys

    def supports(self, function) -> bool:
        return self.inner.supports(function)

    def method(self, spec) -> str:
        return self.inner.method(spec)

    def segments(self, model) -> int | None:
        return self.inner.segments(model.inner)

    def row_columns(self) -> list[tuple[str, int]]:
        return self.inner.row_columns()

    def row_values(self, model, segment: int) -> dict[str, int]:
        return self.inner.row_values(model.inner, segment)
