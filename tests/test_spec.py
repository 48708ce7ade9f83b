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
    assert (spec.form, spec.fold) == ("table", "none")  # at <= 8 bits (test_default_form.py)
    spec = resolve({"function": "gelu", "input": {"bits": 8}, "segments": 8}, "t.yaml")
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
    ({"function": "gelu", "domain": [1, -1]}, "domain", "lo <= hi"),
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


# One valid value for each key a form may read beyond the common ones.
FORM_KEY_VALUES = {"segments": 4, "coef_format": "12:8", "search": "uniform",
                   "search_options": {}, "objective": "max", "max_error_lsb": 1.0, "seed": 1,
                   "acc_bits": 32, "weights": "none", "order": 1, "max_regions": 2,
                   "decode_slack": 0.1, "companion": "none", "range_reduction": "none"}


def test_every_form_declares_known_keys():
    from approxgen import forms

    assert set(FORM_KEY_VALUES) == specs.top_keys() - specs.COMMON_KEYS
    for name in specs.FORMS:
        assert forms.get(name).spec_keys <= set(FORM_KEY_VALUES), name


@pytest.mark.parametrize("form", specs.FORMS)
def test_a_key_the_form_does_not_read_is_refused(form):
    """``form: quadratic`` with a stray ``coef_format`` was silently ignored: every key a form
    does not read is an error naming the file, the key and the forms that read it."""
    base = {"function": "gelu", "form": form}
    own = specs.form_keys(form) - specs.COMMON_KEYS
    resolve({**base, **{k: FORM_KEY_VALUES[k] for k in own}}, "f.yaml")  # its own keys: fine
    for key in sorted(set(FORM_KEY_VALUES) - own):
        with pytest.raises(ApproxgenError) as exc:
            resolve({**base, key: FORM_KEY_VALUES[key]}, "f.yaml")
        assert exc.value.where == f"f.yaml: {key}"
        assert exc.value.message.startswith(f"form {form} does not read {key} (a key of form ")
    assert resolve({**base, "coef_format": None}, "f.yaml").form == form  # YAML null: absent


def test_a_form_flag_over_a_spec_drops_the_old_forms_keys(tmp_path):
    """``--form table`` over a pwl spec with segments and coef_format fits the table; an explicit
    flag the new form does not read is still refused."""
    path = tmp_path / "g.yaml"
    path.write_text("function: gelu\nsegments: 6\ncoef_format: '12:8'\nacc_bits: 32\nseed: 3\n")
    raw = specs.merge(specs.load_yaml(path), {"form": "table"})
    assert resolve(raw, str(path)).form == "table" and "segments" not in raw
    raw = specs.merge(specs.load_yaml(path), {"form": "quadratic"})
    assert resolve(raw, str(path)).segments == 6 and "coef_format" not in raw
    with pytest.raises(ApproxgenError, match="form quadratic does not read coef_format"):
        resolve(specs.merge(specs.load_yaml(path), {"form": "quadratic", "coef_format": "10:8"}))
    path.write_text("function: gelu\nform: quadratic\ncoef_format: '12:8'\n")
    with pytest.raises(ApproxgenError, match=r"g.yaml: coef_format: form quadratic does not "
                                             r"read coef_format \(a key of form pwl\)"):
        resolve(specs.load_yaml(path), str(path))


def test_a_table_on_four_codes_needs_no_segment_count():
    """The default segment count (8) is no table's business: it is not checked against the 4
    codes of a 2-bit input."""
    assert resolve({"function": "gelu", "input": {"bits": 2}, "form": "table"}).form == "table"
    assert resolve({"function": "gelu", "input": {"bits": 2}, "form": "pwl"}).segments == 4
    with pytest.raises(ApproxgenError, match="segments: must be in 1..4"):
        resolve({"function": "gelu", "input": {"bits": 2}, "segments": 8})
