"""The default form (spec.default_form): at <= 8 input bits a spec naming no form is the correctly
rounded table (plain, else folded, whichever fits max_bytes); elsewhere, or with a key of the
other default (segments, search...), pwl; a form given is always honoured."""

import numpy as np
import pytest

from approxgen.emit.c import table_bytes
from approxgen.errors import ApproxgenError
from approxgen.fitting import fit
from approxgen.metrics import correctly_rounded
from approxgen.spec import resolve
from conftest import run_cli

TFLITE = [("tanh", {"bits": 8, "scale": "2^-7"}),
          ("sigmoid", {"bits": 8, "signed": False, "scale": "2^-8"})]


@pytest.mark.parametrize("function,output", [("gelu", {"bits": 8}), *TFLITE,
                                             ("recip", {"bits": 8}), ("exp", {"bits": 16})])
def test_the_int8_default_is_the_correctly_rounded_table(function, output):
    spec = resolve({"function": function, "input": {"bits": 8, "scale": "2^-4"},
                    "output": output})
    assert (spec.form, spec.fold) == ("table", "none")
    result = fit(spec, progress=False)
    codes = spec.domain_codes()
    want = correctly_rounded(spec.reference(codes), spec.output)
    assert np.array_equal(result.model.evaluate(codes), want)
    assert result.metrics["mismatches"] == 0


def test_wider_inputs_and_keys_of_pwl_keep_pwl():
    assert resolve({"function": "gelu", "input": {"bits": 9}}).form == "pwl"
    for key, value in (("segments", 4), ("search", "uniform"), ("objective", "rounding"),
                       ("max_error_lsb", 1.0), ("coef_format", "8:6")):
        assert resolve({"function": "gelu", key: value}).form == "pwl", key
    assert resolve({"function": "gelu", "form": "pwl"}).form == "pwl"
    assert resolve({"function": "gelu", "form": "quadratic"}).form == "quadratic"


def test_the_byte_budget_picks_plain_then_folded_then_pwl():
    spec = resolve({"function": "gelu", "max_bytes": 256})
    assert (spec.form, spec.fold) == ("table", "none")
    spec = resolve({"function": "gelu", "max_bytes": 200})
    assert (spec.form, spec.fold) == ("table", "auto")
    assert table_bytes(fit(spec, progress=False).model) == 129
    for function, budget, tables in (("gelu", 100, "fold none: 256 B, fold auto: 129 B"),
                                     ("recip", 200, "fold none: 224 B")):  # no symmetry
        with pytest.raises(ApproxgenError, match="max_bytes needs segments: auto") as refused:
            resolve({"function": function, "max_bytes": budget})  # pwl's own refusal
        assert refused.value.message.endswith(f"the default table does not fit it ({tables})")
    assert resolve({"function": "gelu", "max_bytes": 100, "segments": "auto"}).form == "pwl"


def test_a_fold_given_is_kept():
    assert resolve({"function": "tanh", "fold": "on"}).fold == "on"
    assert resolve({"function": "tanh", "fold": "on"}).form == "table"
    with pytest.raises(ApproxgenError, match="fold"):
        resolve({"function": "exp", "fold": "on"})


def test_the_cli_default_is_the_table_and_form_pwl_is_honoured():
    result = run_cli("fit", "gelu", "--bits", "8")
    assert result.returncode == 0 and "form table" in result.stdout.splitlines()[0]
    assert "form pwl" in run_cli("fit", "gelu", "--bits", "8", "--form", "pwl").stdout
