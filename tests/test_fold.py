"""Symmetry folding (issue 14): fit one half, reconstruct the other exactly in integers, for every
form; golden model = C (every value of the C input type, sanitizers) = Verilog (every code)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from conftest import fit_raw, require_tool

from approxgen import artifact, functions, verify
from approxgen.emit import c, verilog
from approxgen.emit import vectors as vec
from approxgen.fixedpoint import saturate
from approxgen.errors import ApproxgenError
from approxgen.forms.folded import FoldedModel, plan
from approxgen.metrics import measure
from approxgen.spec import resolve

SYMMETRIC = ("tanh", "sigmoid", "gelu", "silu", "hswish")
FORMS = ("pwl", "table", "quadratic", "interp")
LUT_FORMS = ("pwl", "quadratic")  # the forms with a lut part (decoder + coefficient ROM)


def folded(function: str, form: str, **keys):
    """An int8 fit of ``function`` by ``form``, folded (6 segments for segmented forms, 16 node
    intervals for interp)."""
    if form != "table":
        keys.setdefault("segments", 16 if form == "interp" else 6)
    return fit_raw(function=function, form=form, fold="on", input={"bits": 8}, **keys)


@pytest.mark.parametrize("name", [f.name for f in functions.BUILTINS.values() if f.symmetry])
def test_declared_symmetries_hold(name):
    fn = functions.BUILTINS[name]
    x = np.linspace(-9, 9, 2001)
    sym = fn.symmetry
    assert np.allclose(fn.evaluate(-x), sym.a0 + sym.s * fn.evaluate(x) + sym.b * x, atol=1e-12)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("function", SYMMETRIC)
def test_folded_model_is_honest_and_mirrors(function, form):
    result = folded(function, form)
    model = result.model
    assert isinstance(model, FoldedModel) and model.form == form
    spec = result.spec
    codes = spec.domain_codes()
    # the full model is measured over every outer code against sat(f)
    assert result.metrics == pytest.approx(
        {**result.metrics, **measure(model.evaluate(codes), spec.reference(codes), spec.output)})
    h = np.arange(1, -spec.input.min_code + 1)
    g = model.inner.evaluate(h)
    want = np.clip(model.a + model.s * g + model.b * h, spec.output.min_code,
                   spec.output.max_code)
    assert np.array_equal(model.evaluate(-h), want)
    assert result.metrics["max_error_lsb"] < 1.6


def test_the_harness_agrees_in_c_under_sanitizers_and_in_verilog(tmp_path):
    cc = require_tool("cc")
    fits = [folded(fn, form, name=f"{fn}_{form}") for fn in SYMMETRIC for form in FORMS]
    got = verify.run_c(fits, tmp_path / "c", cc, sanitize=True, every_value=True)
    for f in fits:
        assert verify.compare(f, got[f.spec.name], verify.C_VARIANTS, every_value=True)[0] == 0
    got = verify.run_c(fits[:3], tmp_path / "cxx", require_tool("c++"), cxx=True)
    for f in fits[:3]:
        assert verify.compare(f, got[f.spec.name], verify.C_VARIANTS)[0] == 0
    require_tool("iverilog")
    for f in fits:
        parts = ("full", "lut") if f.spec.form in LUT_FORMS else ("full",)
        for part in parts:
            for pipeline in (False, True):
                sim = verify.simulate_verilog(f, tmp_path / f"v{pipeline:d}", part, pipeline)
                assert (sim.passed, sim.failed) == (256, 0), (f.spec.name, part)


def _half_datapath(f, fields: dict) -> np.ndarray:
    """``g(h)`` computed as the lut part's header documents it, from its coefficient outputs."""
    half = f.model.inner
    h = np.abs(fields["x"])
    if f.spec.form == "pwl":
        rnd = (1 << half.shift) >> 1
        acc = fields["slope"] * h + (fields["intercept"] << half.intercept_shift) + rnd
    else:
        d = np.clip(h, half.lo_code, half.hi_code) - fields["origin"]
        rnd = (1 << half.shift) >> 1
        acc = (((fields["a"] * d) >> half.inner_shift) + fields["b"]) * d + fields["c"] + rnd
    return saturate(acc >> half.shift, half.output)


@pytest.mark.parametrize("function, form", [("gelu", "pwl"), ("tanh", "pwl"),
                                            ("sigmoid", "quadratic"), ("hswish", "quadratic")])
def test_lut_part_and_the_documented_reconstruction_give_the_golden_model(function, form):
    """The lut part's outputs (the vectors its test bench checks them against, in simulation
    above), through the half's datapath and the reconstruction its header states, are ``y``."""
    f = folded(function, form)
    fields = vec.golden(f)
    g = _half_datapath(f, fields)
    text = verilog.render(f, part="lut")
    formula = plan(f.spec).formula()
    assert f"y = sat({formula}) for x < 0" in text
    m = f.model
    h = np.abs(fields["x"])
    y = saturate(np.where(fields["x"] < 0, m.a + m.s * g + m.b * h, g), f.spec.output)
    assert np.array_equal(y, fields["y"])
    assert f"localparam integer G_BITS    = {m.inner.output.bits};" in text
    assert f"localparam integer WIDE_BITS = {m.wide_bits()};" in text


@pytest.mark.parametrize("pipeline", [False, True])
@pytest.mark.parametrize("function, form, part", [
    ("sigmoid", "pwl", "full"), ("gelu", "table", "full"), ("tanh", "quadratic", "full"),
    ("sigmoid", "pwl", "lut"), ("tanh", "quadratic", "lut")])
def test_verilator_lint_clean(tmp_path, function, form, part, pipeline):
    verilator = require_tool("verilator")
    f = folded(function, form)
    module = verilog.module_name(f, part)
    path = tmp_path / f"{module}.v"
    path.write_text(verilog.render(f, part=part, pipeline=pipeline))
    result = subprocess.run([verilator, "--lint-only", "-Wall", "--top-module", module,
                             str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_int16_sigmoid_needs_the_wide_intermediate_and_is_exact_in_c(tmp_path):
    cc = require_tool("cc")
    f = fit_raw(function="sigmoid", input={"bits": 16, "scale": "2^-12"},
                output={"bits": 16, "signed": True, "scale": "2^-15"}, segments=24, fold="on",
                search="uniform")
    assert (f.model.a, f.model.s, f.model.b) == (32768, -1, 0)
    assert f.model.inner.input.bits == 16 and f.model.wide_bits() > 16  # A = 2^15
    got = verify.run_c([f], tmp_path, cc, sanitize=True)
    assert verify.compare(f, got[f.spec.name], verify.C_VARIANTS)[0] == 0
    plain = fit_raw(function="sigmoid", input={"bits": 16, "scale": "2^-12"},
                    output={"bits": 16, "signed": True, "scale": "2^-15"}, segments=24,
                    fold="none", search="uniform")
    assert f.metrics["max_error_lsb"] < plain.metrics["max_error_lsb"]


def test_gelu_saturating_positive_side_still_mirrors_exactly():
    # in = out scale, output narrower than f's positive side: the inner stays unsaturated
    f = fit_raw(function="gelu", input={"bits": 8, "scale": "2^-4"},
                output={"bits": 6, "scale": "2^-4"}, form="table", fold="on")
    assert f.model.inner.output.bits > 6
    assert f.metrics["max_error_lsb"] <= 0.5 + 1e-9


def test_fold_none_equals_todays_fit():
    for function in ("tanh", "gelu"):
        raw = {"function": function, "input": {"bits": 8}, "segments": 5}
        a = fit_raw(**raw, fold="none")
        b = fit_raw(**raw)  # auto
        assert not isinstance(a.model, FoldedModel)
        assert a.spec.to_json()["fold"] == "none"
        assert "fold" not in b.spec.to_json()  # the default keeps the spec hash
    # a function without symmetry: auto is today's fit, without a note
    a = fit_raw(function="exp", input={"bits": 8}, segments=5)
    b = fit_raw(function="exp", input={"bits": 8}, segments=5, fold="none")
    assert a.model == b.model and a.search["notes"] == b.search["notes"]


def test_auto_never_makes_a_fit_worse():
    for function in SYMMETRIC:
        raw = {"function": function, "input": {"bits": 8}, "segments": 3}
        auto, plain = fit_raw(**raw), fit_raw(**raw, fold="none")
        assert auto.metrics["max_error_lsb"] <= plain.metrics["max_error_lsb"] + 1e-12


def test_refused_fold_says_why():
    raw = {"function": "gelu", "input": {"bits": 8, "scale": "2^-4"},
           "output": {"bits": 8, "scale": "2^-2"}, "segments": 4}
    f = fit_raw(**raw)
    assert not isinstance(f.model, FoldedModel)
    assert "not folded: S_in/S_out = 1/4 is not an integer" in f.search["notes"]
    with pytest.raises(ApproxgenError, match="S_in/S_out = 1/4") as info:
        resolve({**raw, "fold": "on"}, "g.yaml")
    assert info.value.where == "g.yaml: fold"
    with pytest.raises(ApproxgenError, match="no known symmetry") as info:
        resolve({"function": "exp", "fold": "on"})
    assert info.value.where == "--fold"
    with pytest.raises(ApproxgenError, match="both sides of 0"):
        resolve({"function": "tanh", "domain": [0, 3], "fold": "on"})
    with pytest.raises(ApproxgenError, match="must be one of auto, none, on"):
        resolve({"function": "tanh", "fold": "half"})
    assert isinstance(plan(resolve({"function": "sigmoid", "output": {"scale": 0.01}})), str)


def test_emitted_names_and_bytes():
    f = folded("tanh", "pwl", name="th")
    text = c.render(f)
    assert "static inline int8_t th_half(uint8_t x)" in text and "th_half_slopes" in text
    assert "module th_half" in verilog.render(f) and "module th (" in verilog.render(f)
    assert "module th_half_lut" in verilog.render(f, part="lut")
    for form, why in (("table", "the table form has no lut part: "),  # the form's own reason
                      ("interp", "no per-segment coefficients")):
        with pytest.raises(ApproxgenError, match=why):
            verilog.render(folded("tanh", form), part="lut")
    with pytest.raises(ApproxgenError, match="_half"):
        resolve({"function": "tanh", "name": "th_half"})
    table = folded("gelu", "table", name="gt")
    plain = fit_raw(function="gelu", form="table", input={"bits": 8}, fold="none", name="gt")
    from approxgen.sweep import table_bytes

    # the half's 129 values (9-bit codes 0..128) are stored as uint8_t: half the table
    assert table_bytes(c.render(table)) == 129 and table_bytes(c.render(plain)) == 256


def test_weights_fold_onto_the_half():
    from approxgen.forms.folded import fold_weights

    spec = resolve({"function": "tanh", "input": {"bits": 4}})
    p = plan(spec)
    w = np.arange(spec.domain[1] - spec.domain[0] + 1, dtype=float)
    folded_w = fold_weights(w, spec, p)
    assert folded_w.sum() == w.sum() and folded_w[0] == w[-spec.domain[0]]


# --- artifacts ---------------------------------------------------------------------------------

GOOD = None


def good() -> dict:
    global GOOD
    if GOOD is None:
        GOOD = json.loads(folded("sigmoid", "pwl").dumps())
    return json.loads(json.dumps(GOOD))


def test_folded_artifact_round_trips():
    data = good()
    loaded = artifact.loads(json.dumps(data))
    assert isinstance(loaded.model, FoldedModel) and data["model"]["fold"]["a"] == 128


EDITS = {
    "a": lambda d: d["model"]["fold"].__setitem__("a", 127),
    "s": lambda d: d["model"]["fold"].__setitem__("s", 2),
    "s-plus": lambda d: d["model"]["fold"].__setitem__("s", 1),
    "b": lambda d: d["model"]["fold"].__setitem__("b", 1),
    "bits-big": lambda d: d["model"]["fold"].__setitem__("inner_bits", 40),
    "bits-small": lambda d: d["model"]["fold"].__setitem__("inner_bits", 2),
    "bits-float": lambda d: d["model"]["fold"].__setitem__("inner_bits", 9.0),
    "fold-list": lambda d: d["model"].__setitem__("fold", [1, 2]),
    "fold-extra": lambda d: d["model"]["fold"].__setitem__("x", 1),
    "unfold": lambda d: d["model"].pop("fold"),
    "spec-none": lambda d: d["spec"].__setitem__("fold", "none"),
    "spec-bad": lambda d: d["spec"].__setitem__("fold", "sideways"),
    "breakpoint": lambda d: d["model"]["breakpoints"].__setitem__(-1, 129),
    "form": lambda d: d["model"].__setitem__("form", "table"),
}


@pytest.mark.parametrize("key", sorted(EDITS))
def test_tampered_folded_artifacts_are_refused(key):
    data = good()
    EDITS[key](data)
    data["digest"] = artifact.digest(data)
    with pytest.raises(ApproxgenError, match="corrupted") as info:
        artifact.loads(json.dumps(data), "fit.json")
    assert info.value.where == "fit.json"


def test_fold_on_refuses_an_unfolded_model():
    plain = json.loads(fit_raw(function="sigmoid", input={"bits": 8}, segments=6,
                               fold="none").dumps())
    plain["spec"]["fold"] = "on"
    plain["spec_hash"] = resolve({"function": "sigmoid", "input": {"bits": 8}, "segments": 6,
                                  "fold": "on"}).hash()
    plain["digest"] = artifact.digest(plain)
    with pytest.raises(ApproxgenError, match="corrupted"):
        artifact.loads(json.dumps(plain), "fit.json")


def test_cli_fold_flag_and_summary(tmp_path):
    from hostile import invoke

    result = invoke(["fit", "tanh", "--segments", "4", "--fold", "on", "-o",
                     str(tmp_path / "t.json")], tmp_path)
    assert result.exit_code == 0, result.output
    assert "folded" in result.output
    result = invoke(["fit", "exp", "--fold", "on", "-o", str(tmp_path / "e.json")], tmp_path)
    assert result.exit_code == 2 and "--fold" in result.output
    assert not (tmp_path / "e.json").exists()


@pytest.mark.parametrize("form", FORMS)
def test_the_half_is_safe_on_every_value_of_its_input_type(form, tmp_path):
    """A folded header's half (``NAME_half``, ``NAME_half_array``) is called on |q| <= 2^(n-1)
    only, and its tables may cover no more, but a caller may pass any value of its C input type:
    under ASan+UBSan every value gives the result of the nearest code it is defined on (int16:
    the bucket table of a pwl half has 257 entries, not 512)."""
    require_tool("gcc")
    from test_emit_c import require_sanitizers

    require_sanitizers("gcc", tmp_path)
    # the breakpoints do not matter here: uniform ones fit in a moment
    keys = ({"segments": 24, "search": "uniform"} if form == "interp" else
            {"segments": 8, "search": "uniform"} if form != "table" else {})
    f = fit_raw(function="gelu", form=form, fold="on", input={"bits": 16, "scale": 2 ** -12},
                output={"bits": 16, "scale": 2 ** -12}, **keys)
    name = f.spec.name
    (tmp_path / f"{name}.h").write_text(c.render(f))
    half_in = c.ctype(f.model.inner.input.bits, False)
    half_out = c.ctype(f.model.inner.output.bits, True)
    top = f.model.h_max
    (tmp_path / "main.c").write_text(f"""#include <stdio.h>
#include "{name}.h"
static {half_in} x[65536];
static {half_out} y[65536];
int main(void)
{{
    long i, bad = 0;
    for (i = 0; i < 65536; ++i) x[i] = ({half_in})i;
    {name}_half_array(x, y, 65536);
    for (i = 0; i < 65536; ++i) {{
        {half_out} want = {name}_half(({half_in})(i > {top} ? {top} : i));
        bad += {name}_half(x[i]) != want || y[i] != want;
    }}
    printf("%ld\\n", bad);
    return 0;
}}
""")
    exe = verify.compile_c("gcc", verify.c_flags(sanitize=True), tmp_path / "main.c",
                           tmp_path / "main")
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0 and not run.stderr, run.stderr[:2000]
    assert run.stdout.strip() == "0"
