"""Block artifacts (issue 23): ``approxgen fit BLOCK.yaml -o B.json`` writes the block whole
(canonical spec, gamma/beta inline, inner fits as fit artifacts, metrics); emit, verify and the
API read it back without refitting and emit the same bytes as from the spec; a hand-edited one
is one line naming the file and key, exit 2, nothing written."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import approxgen
from approxgen import artifact, fitting
from approxgen.blocks import Block, artifact as block_artifact, format_raw
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, parse_scale
from conftest import ROOT, fit_raw, require_tool
from hostile import assert_refused, invoke, sentinel

SOFTMAX = ("block: softmax\nname: sm8\nlength: 24\ninput: {bits: 8, signed: true, scale: 2^-4}\n"
           "output: {bits: 8, signed: false, scale: 2^-8}\n")
RMSNORM = ("block: rmsnorm\nname: rms16\nlength: 8\ninput: {bits: 16, scale: 0.001}\n"
           "output: {bits: 16, scale: 2^-11}\nrsqrt: {segments: 8, newton: 1}\n")


def layernorm(directory: Path, length: int = 12) -> str:
    rng = np.random.default_rng(3)
    np.save(directory / "g.npy", 1.0 + 0.3 * rng.normal(size=length))
    np.save(directory / "b.npy", 0.2 * rng.normal(size=length))
    return (f"block: layernorm\nname: ln8\nlength: {length}\n"
            "input: {bits: 8, scale: 2^-2}\noutput: {bits: 8, scale: 2^-4}\n"
            "gamma: g.npy\nbeta: b.npy\n")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Each block spec and the artifact ``approxgen fit`` wrote of it: kind -> (spec, json)."""
    work = tmp_path_factory.mktemp("blocks")
    texts = {"softmax": SOFTMAX, "layernorm": layernorm(work), "rmsnorm": RMSNORM}
    out = {}
    for kind, text in texts.items():
        spec, path = work / f"{kind}.yaml", work / f"{kind}.json"
        spec.write_text(text)
        result = invoke(["fit", spec, "-o", path])
        assert result.exit_code == 0, result.output
        out[kind] = (spec, path, result.stdout)
    return out


def good(made, kind: str = "layernorm") -> dict:
    return json.loads(made[kind][1].read_text())


def resealed(data: dict) -> dict:
    data["digest"] = artifact.digest(data)
    return data


@pytest.fixture
def no_fitting(monkeypatch):
    """Any fit from here on fails the test: reading an artifact must refit nothing."""
    def refuse(*args, **kwargs):
        raise AssertionError("fitted while reading a block artifact")

    monkeypatch.setattr(fitting, "fit", refuse)


@pytest.mark.parametrize("kind", ["softmax", "layernorm", "rmsnorm"])
def test_artifact_emits_what_the_spec_emits_without_refitting(made, kind, tmp_path, no_fitting):
    spec, path, _ = made[kind]
    for target in ("c", "verilog"):
        from_artifact = invoke(["emit", target, path])
        assert from_artifact.exit_code == 0, from_artifact.output
        assert from_artifact.stdout == made_emit(spec, target)
    block = approxgen.load(path)
    assert block.kind == kind and approxgen.block(path).canonical() == block.canonical()
    assert approxgen.emit(block, "c") == made_emit(spec, "c")
    rows = block_artifact.metric_rows(block)
    assert block.metrics(rows) == good(made, kind)["metrics"]
    block_artifact.save(block, tmp_path / "again.json")  # written back: the same bytes
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


_EMITTED: dict = {}


def made_emit(spec: Path, target: str) -> str:
    """What ``emit`` writes from the spec itself (fits its inner fits: outside no_fitting)."""
    return _EMITTED[(spec, target)]


@pytest.fixture(scope="module", autouse=True)
def emitted_from_specs(made):
    for spec, _, _ in made.values():
        for target in ("c", "verilog"):
            result = invoke(["emit", target, spec])
            assert result.exit_code == 0, result.output
            _EMITTED[(spec, target)] = result.stdout


def test_artifact_is_self_contained_and_deterministic(made, tmp_path):
    """No .npy needed; gamma/beta inline as their quantized values; a second fit: same bytes;
    the summary names the inner fit and the block's errors; -q and --json are quiet."""
    spec, path, summary = made["layernorm"]
    data = good(made)
    assert data["schema"] == "approxgen-block" and data["schema_version"] == 1
    assert data["block"] == "layernorm" and list(data["inner_fits"]) == ["rsqrt_module"]
    assert data["inner_fits"]["rsqrt_module"]["schema"] == "approxgen-fit"
    frac = int(data["spec"]["gamma_format"]["scale"].split("^-")[1])
    codes = np.ldexp(np.array(data["spec"]["gamma"]), frac)
    assert np.array_equal(codes, np.round(codes)) and len(codes) == 12
    moved = tmp_path / "alone.json"
    moved.write_bytes(path.read_bytes())
    assert invoke(["emit", "c", moved]).stdout == made_emit(spec, "c")  # no g.npy beside it
    again = invoke(["fit", spec, "-q", "-o", tmp_path / "again.json"])
    assert again.exit_code == 0 and again.stdout == ""
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    assert invoke(["fit", spec, "--json"]).stdout == path.read_text()
    assert "inner fit ln8_rsqrt0 (rsqrt_module): pwl, 16 segments" in summary
    assert "block on its stated rows (4 of each kind, 12 codes, seed 2026): max error" in summary


def test_verify_of_a_block_artifact(made):
    require_tool("cc"), require_tool("iverilog"), require_tool("vvp")
    result = invoke(["verify", made["layernorm"][1], "--strict", "--json"])
    assert result.exit_code == 0, result.output
    assert all(r["status"] == "pass" for r in json.loads(result.stdout)["results"])


def _set(path: str, value):
    def edit(data):
        *keys, last = path.split(".")
        for key in keys:
            data = data[key]
        data[last] = value
    return edit


def _pop(path: str):
    def edit(data):
        *keys, last = path.split(".")
        for key in keys:
            data = data[key]
        data.pop(last)
    return edit


def _inner_model(data):
    fit = data["inner_fits"]["rsqrt_module"]
    fit["model"]["intercepts"][0] += 1 << 12
    fit["digest"] = artifact.digest(fit)  # a careful forger: metrics still catch it


def _other_segments(data):
    """The inner fit of another spec (8 segments, itself valid) beside a spec of 16."""
    from approxgen import blocks

    raw = {**data["spec"], "rsqrt": {**data["spec"]["rsqrt"], "segments": 8}}
    data["inner_fits"]["rsqrt_module"] = blocks.load(raw, "x").inner_fits()[
        "rsqrt_module"].to_json()


# edit, resealed, the words of the one-line error (besides the file)
EDITS = {
    "unknown-key": (_set("extra", 1), True, "unknown key extra"),
    "missing-metrics": (_pop("metrics"), True, "missing key metrics"),
    "unknown-spec-key": (_set("spec.colour", 1), True, "spec: colour"),
    "missing-spec-key": (_pop("spec.epsilon"), True, "spec.epsilon"),
    "length-type": (_set("spec.length", "12"), True, "length"),
    "length-value": (_set("spec.length", 13), True, "gamma"),
    "gamma-short": (lambda d: d["spec"]["gamma"].pop(), True, "gamma"),
    "gamma-text": (lambda d: d["spec"]["gamma"].__setitem__(3, "one"), True, "gamma[3]"),
    "gamma-out-of-format": (lambda d: d["spec"]["gamma"].__setitem__(0, 1e6), True, "gamma"),
    "gamma-off-grid": (lambda d: d["spec"]["gamma"].__setitem__(0, 1.0000001), True,
                       "spec.gamma"),
    "gamma-path": (_set("spec.gamma", "g.npy"), True, "gamma"),
    "epsilon-type": (_set("spec.epsilon", True), True, "epsilon"),
    "inner-tampered": (lambda d: d["inner_fits"]["rsqrt_module"]["model"]["slopes"].__setitem__(
        0, 7), True, "inner_fits.rsqrt_module"),
    "inner-resealed": (_inner_model, True, "inner_fits.rsqrt_module"),
    "inner-other-spec": (_other_segments, True, "rsqrt"),
    "inner-missing": (lambda d: d["inner_fits"].clear(), True, "rsqrt"),
    "inner-extra": (lambda d: d["inner_fits"].__setitem__(
        "spare", d["inner_fits"]["rsqrt_module"]), True, "inner_fits"),
    "inner-not-mapping": (_set("inner_fits", []), True, "inner_fits"),
    "unknown-kind": (_set("block", "groupnorm"), True, "unknown block 'groupnorm'"),
    "kind-differs": (_set("block", "rmsnorm"), True, "spec.block"),
    "spec-not-mapping": (_set("spec", [1]), True, "spec must be a mapping"),
    "spec-hash": (_set("spec_hash", "0" * 16), True, "spec_hash"),
    "metrics": (lambda d: d["metrics"].__setitem__("max_error_lsb", 3), True, "metrics"),
    "schema-version": (_set("schema_version", 2), True, "schema 2"),
    "tool-version": (_set("tool_version", "1\n2"), True, "tool_version"),
    "digest": (lambda d: d["metrics"].__setitem__(  # within the metrics' tolerance
        "max_real_error_lsb", d["metrics"]["max_real_error_lsb"] * (1 + 1e-12)), False, "digest"),
}


@pytest.mark.parametrize("key", sorted(EDITS))
def test_hand_edited_block_artifacts_are_refused(made, key, tmp_path):
    edit, reseal, words = EDITS[key]
    data = good(made)
    edit(data)
    if reseal:
        if key != "spec-hash" and isinstance(data["spec"], dict):
            data["spec_hash"] = block_artifact.spec_hash(data["spec"])
        resealed(data)
    with pytest.raises(ApproxgenError, match="corrupted block artifact|block artifact has") as info:
        block_artifact.loads(json.dumps(data), "bad.json")
    assert info.value.where == "bad.json" and words in info.value.message, info.value
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("command", [["emit", "c"], ["emit", "verilog"], ["verify"]])
def test_every_command_refuses_an_edited_block_artifact(made, command, tmp_path):
    sentinel(tmp_path / "keep.out")
    data = good(made)
    data["spec"]["gamma"][0] = 1e6
    data["spec_hash"] = block_artifact.spec_hash(data["spec"])
    (tmp_path / "bad.json").write_text(json.dumps(resealed(data)))
    out = ["-o", tmp_path / "keep.out"] if command[0] == "emit" else []
    assert_refused([*command, tmp_path / "bad.json", *out], tmp_path,
                   names=("bad.json", "gamma"))


def test_the_wrong_kind_of_file_is_refused(made, tmp_path):
    """A fit artifact where a block is expected and a block artifact where a fit is, a non-JSON
    file named .json, and a block artifact given to fit: one line each, nothing written."""
    fit_path = tmp_path / "fit.json"
    fit_path.write_text(fit_raw(function="gelu", input={"bits": 4}).dumps())
    block_path = made["softmax"][1]
    with pytest.raises(ApproxgenError, match="is a fit artifact, not a block artifact"):
        approxgen.block(fit_path)
    with pytest.raises(ApproxgenError, match="is a block artifact, not a fit artifact"):
        artifact.load(block_path)
    (tmp_path / "junk.json").write_text("block: softmax\n[")
    with pytest.raises(ApproxgenError, match="not an approxgen block artifact .not JSON"):
        approxgen.block(tmp_path / "junk.json")
    sentinel(tmp_path / "keep.out")
    keep = ["-o", tmp_path / "keep.out"]
    name = block_path.name
    for args, words in [(["report", block_path], "a block takes"),
                        (["cost", "--no-yosys", block_path], "a block takes"),
                        (["fit", block_path, *keep], "is a block artifact, not a spec"),
                        (["emit", "c", "--segments", "4", block_path, *keep], "fit flags"),
                        (["emit", "c", tmp_path / "junk.json", *keep], "not JSON")]:
        assert_refused(args, tmp_path, names=(words, name if block_path in args else "junk"))


def test_fit_of_a_block_refuses_calibration(made, tmp_path):
    assert_refused(["fit", made["softmax"][0], "--calibrate", made["softmax"][0], "-o",
                    tmp_path / "x.json"], tmp_path, names=("--calibrate",))


def test_shipped_example_blocks_fit_and_emit(tmp_path):
    """examples/blocks/*.yaml: each fits, and its artifact emits what the spec emits."""
    specs = sorted((ROOT / "examples" / "blocks").glob("*.yaml"))
    assert len(specs) == 3
    for spec in specs:
        path = tmp_path / f"{spec.stem}.json"
        assert invoke(["fit", spec, "-q", "-o", path]).exit_code == 0
        assert invoke(["emit", "c", path]).stdout == invoke(["emit", "c", spec]).stdout


# --- any set of inner fits: a toy block of this module, registered for one test ---------------
@dataclass(frozen=True)
class Pair(Block):
    """``y = A(x >> 2) + B(x >> 2)``: two inner fits on 6-bit codes, whatever they are."""

    name: str
    length: int
    input: object
    output: object
    fits: tuple = field(compare=False)
    kind = "pair"

    def canonical(self) -> dict:
        return {"block": self.kind, "name": self.name, "length": self.length,
                "input": format_raw(self.input), "output": format_raw(self.output),
                "functions": [fit.spec.function.name for fit in self.fits]}

    def inner_fits(self) -> dict:
        return {f"fit{i}": fit for i, fit in enumerate(self.fits)}

    def model(self, rows):
        rows = np.asarray(rows, dtype=np.int64)
        return sum((fit.model.evaluate(rows >> 2) for fit in self.fits), np.zeros_like(rows))


def from_raw(raw: dict, source: str) -> Pair:
    from approxgen.blocks import inner_fit, parse_head

    at, name, length, inp, out, bits = parse_head(raw, source, {"block", "name", "length",
                                                                "input", "output", "functions"},
                                                  64, "the row length")
    fits = tuple(inner_fit({"function": f, "name": f"{name}_{f}", "segments": 2,
                            "input": {"bits": 6, "scale": "2^-3"}}, source)
                 for f in raw["functions"])
    fmt = IntFormat(bits, True, parse_scale(inp["scale"], at("input.scale")))
    return Pair(name, length, fmt, IntFormat(8, True, parse_scale(out.get("scale", 1), "")), fits)


def sample_rows(block, n: int, count: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"random": rng.integers(block.input.min_code, block.input.max_code + 1, (count, n))}


def metrics(block, rows) -> dict:
    return {"max_error_lsb": 0, "mean_error_lsb": 0.0, "mismatches": 0, "outputs": rows.size,
            "checksum": int(block.model(rows).sum())}


@pytest.mark.parametrize("functions", [[], ["tanh"], ["tanh", "sigmoid", "gelu"]])
def test_any_set_of_inner_fits_round_trips(functions, monkeypatch):
    """The artifact's machinery knows no block: a block with 0, 1 or 3 inner fits is saved and
    read back through its own hooks, nothing refitted; a swapped inner fit is refused."""
    from approxgen import blocks

    monkeypatch.setitem(blocks.BLOCKS, "pair", __name__)
    block = blocks.load({"block": "pair", "name": "pair8", "length": 8, "input": {"scale": 0.5},
                         "functions": functions}, "pair.yaml")
    text = block_artifact.dumps(block)
    real_fit = fitting.fit
    monkeypatch.setattr(fitting, "fit", lambda *a, **k: pytest.fail("refitted"))
    again = block_artifact.loads(text, "pair.json")
    assert block_artifact.dumps(again) == text and len(again.inner_fits()) == len(functions)
    assert [f.model for f in again.fits] == [f.model for f in block.fits]
    if len(functions) > 1:
        data = json.loads(text)
        data["inner_fits"]["fit0"], data["inner_fits"]["fit1"] = \
            data["inner_fits"]["fit1"], data["inner_fits"]["fit0"]
        with pytest.raises(ApproxgenError, match="inner_fits.fit0 is stored as inner_fits.fit1"):
            block_artifact.loads(json.dumps(resealed(data)), "pair.json")
        monkeypatch.setattr(fitting, "fit", real_fit)  # a module that ignores the stored fits
        monkeypatch.setattr(blocks, "stored_fits", lambda fits: contextlib.nullcontext())
        with pytest.raises(ApproxgenError, match="made its inner fit fit0 anew"):  # a bad module
            block_artifact.loads(text, "pair.json")


def test_build_reuses_only_valid_inner_fits_of_this_version(made, tmp_path, monkeypatch):
    """build's NAME.json of a block is the cache of its inner fits: reused when valid and of this
    version, else (edited, or another version) fitted again and rewritten."""
    from approxgen import build

    spec = made["layernorm"][0]
    out = tmp_path / "out"
    out.mkdir()
    good_text = made["layernorm"][1].read_text()
    data = json.loads(good_text)
    older = json.loads(good_text)
    older["inner_fits"]["rsqrt_module"]["tool_version"] = "0.0.1"
    older["inner_fits"]["rsqrt_module"]["digest"] = artifact.digest(
        older["inner_fits"]["rsqrt_module"])
    edited = json.loads(good_text)
    edited["inner_fits"]["rsqrt_module"]["model"]["slopes"][0] += 1
    calls = []
    real_fit = fitting.fit
    monkeypatch.setattr(fitting, "fit", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    for cached, fits in ((data, 0), (older, 1), (edited, 1)):
        (out / "ln8.json").write_text(json.dumps(cached))
        calls.clear()
        block = build.load_plan(spec, out)
        assert len(calls) == fits and block_artifact.dumps(block) == good_text
