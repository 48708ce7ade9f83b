"""Tampered artifacts (issue 9, items 5, 6, 8) and random specs: refused cleanly or equivalent."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import fit_raw
from hostile import assert_refused, sentinel
from hypothesis import HealthCheck, given, settings, strategies as st

from approxgen import artifact
from approxgen.emit import c, vectors, verilog
from approxgen.errors import ApproxgenError
from approxgen.fitting import fit
from approxgen.spec import resolve

GOOD = None


def good() -> dict:
    global GOOD
    if GOOD is None:
        # unfolded: the edits below address the pwl model (tests/test_fold.py: folded ones)
        GOOD = json.loads(fit_raw(function="gelu", input={"bits": 8}, form="pwl",
                                  fold="none").dumps())
    return json.loads(json.dumps(GOOD))


def resealed(data: dict) -> dict:
    """What a careful forger does after an edit: recompute the digest."""
    data["digest"] = artifact.digest(data)
    return data


def _extra_segment(d):
    m = d["model"]
    m["breakpoints"].append(100)
    m["slopes"].append(-200)
    m["intercepts"].append(0)


EDITS = {
    "extra-segment": (_extra_segment, "segments"),
    "search-empty": (lambda d: d.__setitem__("search", {}), "search."),
    "no-method": (lambda d: d["search"].pop("method"), "search.method"),
    "no-seed": (lambda d: d["search"].pop("seed"), "search.seed"),
    "method-injection": (lambda d: d["search"].__setitem__(
        "method", "uniform\n$display(\"PWNED\");"), "search.method"),
    "notes-not-list": (lambda d: d["search"].__setitem__("notes", "x"), "search.notes"),
    "notes-newline": (lambda d: d["search"].__setitem__("notes", ["a\n*/ evil"]), "notes"),
    "settings-bad": (lambda d: d["search"].__setitem__("settings", {"k": "a\nb"}), "settings"),
    "slope-bits-0": (lambda d: d["model"].__setitem__("slope_bits", 0), "slope_bits"),
    "slope-bits-neg": (lambda d: d["model"].__setitem__("slope_bits", -1), "slope_bits"),
    "slope-bits-float": (lambda d: d["model"].__setitem__("slope_bits", 1e20), "slope_bits"),
    "no-floor-metrics": (lambda d: d.pop("floor_metrics"), "floor_metrics"),
    "floor-metrics": (lambda d: d["floor_metrics"].__setitem__("mse", 1.0), "floor_metrics"),
    "no-acc-bits": (lambda d: d["model"].pop("acc_bits"), "acc_bits"),
    "acc-bits": (lambda d: d["model"].__setitem__("acc_bits", 62), "acc_bits"),
    "product-bits": (lambda d: d["model"].__setitem__("product_bits", 3), "product_bits"),
    "no-tool-version": (lambda d: d.pop("tool_version"), "tool_version"),
    "tool-version": (lambda d: d.__setitem__("tool_version", "1\n2"), "tool_version"),
    "unknown-key": (lambda d: d.__setitem__("extra", 1), "extra"),
    "spec-unknown": (lambda d: d["spec"].__setitem__("extra", 1), "spec.extra"),
    "breakpoint-out": (lambda d: d["model"]["breakpoints"].__setitem__(-1, 200), "breakpoint"),
    "shift": (lambda d: d["model"].__setitem__("shift", 3), "shift"),
    "table-form": (lambda d: d["model"].__setitem__("form", "table"), "model.form"),
}


@pytest.mark.parametrize("key", sorted(EDITS))
@pytest.mark.parametrize("reseal", [False, True])
def test_tampered_artifacts_are_refused(key, reseal):
    change, message = EDITS[key]
    data = good()
    change(data)
    if reseal:
        resealed(data)
    with pytest.raises(ApproxgenError, match="corrupted|not an approxgen") as info:
        artifact.loads(json.dumps(data), "fit.json")
    assert info.value.where == "fit.json"
    if reseal:
        assert message.split(".")[0] in info.value.message or "digest" not in info.value.message


def test_digest_alone_catches_a_coefficient_edit_with_matching_metrics():
    data = good()
    data["metrics"]["mse"] *= 1 + 1e-12  # within the metrics tolerance
    with pytest.raises(ApproxgenError, match="digest"):
        artifact.loads(json.dumps(data), "fit.json")


@pytest.mark.parametrize("text, message", [
    ('{"a": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
    ('{"schema": "approxgen-fit", "x": NaN}', "NaN"),
    ('{"schema": "approxgen-fit", "x": 1' + "0" * 400 + "}", "digits"),
    ('{"schema": "approxgen-fit", "x": 1e400}', "too large"),
    (b'{"schema": "approxgen-fit\xff"}', "not JSON"),
])
def test_hostile_json_is_refused(text, message):
    with pytest.raises(ApproxgenError, match=message):
        artifact.loads(text, "fit.json")


def test_older_schema_is_refused_with_advice():
    data = resealed(dict(good(), schema_version=1))
    with pytest.raises(ApproxgenError, match="older schema 1.*fit the spec again"):
        artifact.loads(json.dumps(data))


@pytest.mark.parametrize("command", [["emit", "c"], ["emit", "verilog"], ["emit", "vectors"],
                                     ["report"], ["cost", "--no-yosys"], ["verify"]])
def test_every_command_refuses_a_tampered_artifact(tmp_path, command):
    sentinel(tmp_path / "keep.out")
    data = good()
    _extra_segment(data)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(resealed(data)))
    out = ["-o", tmp_path / "keep.out"] if command[0] == "emit" else []
    assert_refused([*command, path, *out], tmp_path, names=("t.json", "segments"))


def test_written_artifacts_never_hold_nan():
    result = fit_raw(function="gelu", input={"bits": 4}, segments=2)
    with pytest.raises(ApproxgenError, match="not finite"):
        artifact.Fit(result.spec, result.model, dict(result.metrics, mse=float("nan")),
                     result.floor_metrics, result.search).dumps()


# --- properties: random edits, random specs ---------------------------------------------------

def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    yield path


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=12), st.lists(st.integers(-300, 300), max_size=4))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), reseal=st.booleans())
def test_random_single_field_edits_are_refused_or_equivalent(data, reseal):
    original = good()
    edited = json.loads(json.dumps(original))
    paths = sorted(set(_leaves(edited)) - {()}, key=repr)
    path = data.draw(st.sampled_from(paths))
    parent = edited
    for step in path[:-1]:
        parent = parent[step]
    old = parent[path[-1]]
    if isinstance(old, int) and not isinstance(old, bool) and data.draw(st.booleans()):
        new = old + data.draw(st.sampled_from([-1, 1]))
    else:
        new = data.draw(JSON_SCALARS)
    if data.draw(st.integers(0, 9)) == 0 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    if reseal:
        resealed(edited)
    try:
        loaded = artifact.loads(json.dumps(edited), "fit.json")
    except ApproxgenError as exc:
        assert exc.where == "fit.json" and "\n" not in str(exc)
        return
    # Accepted: an unsealed edit must be no edit; a resealed one must compute the same function
    # (same spec, same output for every input code; e.g. an intercept off by one that no code's
    # rounding sees).
    assert reseal or json.dumps(edited, sort_keys=True) == json.dumps(original, sort_keys=True)
    reference = artifact.loads(json.dumps(original))
    assert loaded.spec.to_json() == reference.spec.to_json()
    codes = reference.spec.input.codes()
    assert np.array_equal(loaded.model.evaluate(codes), reference.model.evaluate(codes))


SPECS = st.fixed_dictionaries({
    "function": st.sampled_from(["gelu", "silu", "tanh", "sigmoid", "exp", "recip", "elu"]),
    "input": st.fixed_dictionaries({"bits": st.integers(1, 8)}),
    "output": st.fixed_dictionaries({"bits": st.integers(1, 10)}),
    "form": st.sampled_from(["pwl", "pwl", "table", "spline"]),
    "segments": st.one_of(st.integers(0, 6), st.just("auto")),
    "max_error_lsb": st.sampled_from([None, 0.6, 2.0, -1.0]),
    "search": st.sampled_from(["uniform", "exact", "nope"]),
    "coef_format": st.one_of(st.just("auto"), st.builds("{}:{}".format, st.integers(1, 14),
                                                        st.integers(-4, 20))),
    "name": st.sampled_from([None, "my_fn", "int", "x y", "a\nb", "_ok2"]),
}, optional={"domain": st.lists(st.floats(-10, 10), min_size=2, max_size=2),
             "seed": st.integers(-1, 5)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=SPECS)
def test_random_specs_fit_and_emit_or_are_refused(raw):
    raw = {k: v for k, v in raw.items() if v is not None}
    try:
        result = fit(resolve(raw, "r.yaml"))
    except ApproxgenError as exc:
        assert str(exc).startswith("r.yaml") and "\n" not in str(exc)
        return
    again = artifact.loads(result.dumps(), "r.json")
    assert again.dumps() == result.dumps()
    codes = result.spec.input.codes()
    y = result.model.evaluate(codes)
    assert y.min() >= result.spec.output.min_code and y.max() <= result.spec.output.max_code
    assert result.spec.name in c.render(again) and result.spec.name in verilog.render(again)
    assert vectors.render(again)
