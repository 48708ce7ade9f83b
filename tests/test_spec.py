"""Spec validation: defaults derived as documented, and every bad input named with its key."""

import math

import pytest

from approxgen import spec as specs
from approxgen.errors import ApproxgenError
from approxgen.functions import BUILTINS
from approxgen.spec import resolve


def test_defaults_for_gelu_int8():
    spec = resolve({"function": "gelu", "input": {"bits": 8}}, "t.yaml")
    assert spec.name == "gelu_int8"
    assert (spec.input.bits, spec.input.signed, spec.input.scale) == (8, True, 2.0 ** -4)
    assert (spec.output.bits, spec.output.signed, spec.output.scale) == (8, True, 2.0 ** -4)
    assert spec.domain == (-128, 127)
    assert (spec.form, spec.segments, spec.search, spec.objective) == ("pwl", 8, "exact", "max")


def test_recip_defaults_avoid_zero():
    spec = resolve({"function": "recip", "input": {"bits": 8}})
    assert not spec.input.signed and spec.input.scale == 2.0 ** -6
    assert spec.domain == (32, 255)  # [0.5, 4] at 2^-6
    assert not spec.output.signed


def test_every_builtin_resolves_at_int8_and_int16():
    for name in BUILTINS:
        for bits in (8, 16):
            spec = resolve({"function": name, "input": {"bits": bits}})
            values = spec.reference(spec.domain_codes())
            assert all(math.isfinite(v) for v in values)
            # the auto output scale holds every value of the domain
            assert values.max() <= spec.output.max_code * spec.output.scale + 1e-12
            assert values.min() >= spec.output.min_code * spec.output.scale - 1e-12


def test_scale_forms_and_range():
    assert resolve({"function": "gelu", "input": {"scale": "2^-5"}}).input.scale == 2.0 ** -5
    assert resolve({"function": "gelu", "input": {"scale": 0.03125}}).input.scale == 2.0 ** -5
    spec = resolve({"function": "gelu", "input": {"bits": 8, "range": [-4, 4]}})
    assert spec.input.scale == 2.0 ** -5


def test_coef_format_forms():
    spec = resolve({"function": "gelu", "input": {"scale": "2^-5"}, "coef_format": "8:6"})
    assert str(spec.slope_format) == "8:6" and str(spec.intercept_format) == "8:6"
    spec = resolve({"function": "gelu", "coef_format": {"slope": "10:6"}})
    assert str(spec.slope_format) == "10:6" and spec.intercept_format is None


def test_flags_override_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("function: silu\ninput: {bits: 8}\nsegments: 4\n")
    raw = specs.merge(specs.load_yaml(path), {"segments": 6, "input.bits": 10})
    spec = resolve(raw, str(path))
    assert spec.segments == 6 and spec.input.bits == 10


def test_spec_hash_is_stable_and_sensitive():
    a = resolve({"function": "gelu", "input": {"bits": 8}})
    b = resolve({"function": "gelu", "input": {"bits": 8}})
    c = resolve({"function": "gelu", "input": {"bits": 8}, "seed": 1})
    assert a.hash() == b.hash() != c.hash()


BAD = [
    ({"function": "nope"}, "function", "unknown function 'nope'"),
    ({"function": "gelu", "colour": 1}, "colour", "unknown key 'colour'"),
    ({"function": "gelu", "input": {"bitz": 8}}, "input.bitz", "unknown key"),
    ({"function": "gelu", "input": {"bits": "eight"}}, "input.bits", "expected an integer"),
    ({"function": "gelu", "input": {"bits": 1}}, "input.bits", "must be in 2..16"),
    ({"function": "gelu", "input": {"bits": 17}}, "input.bits", "must be in 2..16"),
    ({"function": "gelu", "output": {"bits": 33}}, "output.bits", "must be in 2..32"),
    ({"function": "gelu", "input": {"scale": 0}}, "input.scale", "> 0"),
    ({"function": "gelu", "input": {"scale": -0.5}}, "input.scale", "> 0"),
    ({"function": "gelu", "input": {"scale": "big"}}, "input.scale", "number or 2^k"),
    ({"function": "gelu", "output": {"scale": "nan"}}, "output.scale", "finite"),
    ({"function": "gelu", "segments": 0}, "segments", "must be in 1..256"),
    ({"function": "gelu", "segments": 257}, "segments", "must be in 1..256"),
    ({"function": "gelu", "segments": "auto"}, "segments", "needs max_error_lsb"),
    ({"function": "recip", "domain": [-1, 1]}, "domain", "not finite at x = 0"),
    ({"function": "rsqrt", "input": {"signed": True}, "domain": [-1, 1]}, "domain",
     "not finite"),
    ({"function": "gelu", "domain": [1, -1]}, "domain", "lo < hi"),
    ({"function": "gelu", "domain": [100, 200]}, "domain", "holds no input code"),
    ({"function": "gelu", "form": "cubic"}, "form", "one of pwl, table"),
    ({"function": "gelu", "objective": "l1"}, "objective", "one of mse, max"),
    ({"function": "gelu", "search": "magic"}, "search", "must be one of"),
    ({"function": "gelu", "coef_format": "8.6"}, "coef_format", "BITS:FRAC"),
    ({"function": "gelu", "coef_format": "40:6"}, "coef_format", "bits must be 2..32"),
    ({"function": "gelu", "name": "int"}, "name", "identifier"),
    ({"function": "gelu", "name": "9lives"}, "name", "identifier"),
    ({"function": "gelu", "name": "x"}, "name", "identifier"),
    ({"function": "gelu", "name": "printf"}, "name", "identifier"),
    ({"function": "gelu", "expr": "x"}, "expr", "not both"),
    ({}, "function", "missing key"),
    ({"expr": "x * 2"}, "input", "needs input.scale or input.range"),
    ({"expr": "__import__('os').system('true')", "input": {"scale": 1}}, "expr",
     "not allowed"),
    ({"function": "gelu", "seed": -1}, "seed", "must be in"),
    ({"function": "gelu", "input": {"signed": "yes"}}, "input.signed", "true or false"),
    ({"function": "gelu", "segments": 4, "max_error_lsb": 0}, "max_error_lsb", "> 0"),
]


@pytest.mark.parametrize("raw, key, message", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_spec_names_file_and_key(raw, key, message):
    with pytest.raises(ApproxgenError) as info:
        resolve(raw, "configs/bad.yaml")
    assert info.value.where == f"configs/bad.yaml: {key}"
    assert message in info.value.message


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("function: gelu\ninput:\n  bits: [8\n")
    with pytest.raises(ApproxgenError) as info:
        specs.load_yaml(path)
    assert info.value.where.startswith(f"{path}:")
    assert int(info.value.where.rsplit(":", 1)[1]) in (3, 4)
    assert "malformed YAML" in info.value.message


def test_non_mapping_yaml(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- gelu\n")
    with pytest.raises(ApproxgenError, match="mapping"):
        specs.load_yaml(path)


def test_unquoted_coef_format_gets_a_hint(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("function: gelu\ncoef_format: 8:6\n")
    with pytest.raises(ApproxgenError, match="quote it"):
        resolve(specs.load_yaml(path), str(path))


def test_fixed_coef_format_needs_pow2_scales():
    with pytest.raises(ApproxgenError, match="power-of-two"):
        resolve({"function": "gelu", "input": {"scale": 0.03}, "coef_format": "8:6"})
