"""The fit artifact: a versioned JSON file holding everything emitters need, and nothing else.

It records the canonical spec (and its hash), the integers of the model, the search method with its
seed and settings, and the metrics measured over every domain code. No timestamps: the same spec and
version always give the same bytes. Loading re-validates all of it, so a hand-edited or corrupted
file is refused rather than emitted.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from approxgen import __version__
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, quantize
from approxgen.metrics import measure_model
from approxgen.model import MODELS, Model
from approxgen.spec import Spec, resolve

SCHEMA = "approxgen-fit"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Fit:
    spec: Spec
    model: Model
    metrics: dict
    floor_metrics: dict
    search: dict  # method, seed, settings, notes
    calibration: dict | None = None  # see approxgen.calibrate.record

    def to_json(self) -> dict:
        data = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "tool_version": __version__,
            "spec_hash": self.spec.hash(),
            "spec": self.spec.to_json(),
            "model": self.model.to_json(),
            "search": self.search,
            "metrics": self.metrics,
            "floor_metrics": self.floor_metrics,
        }
        if self.calibration is not None:
            data["calibration"] = self.calibration
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    def save(self, path: str | Path) -> None:
        """Write the artifact to ``path`` atomically (never half a file)."""
        from approxgen.cli.common import write_output

        write_output(str(path), self.dumps())

    def evaluate(self, codes) -> np.ndarray:
        """Output codes (int64, same shape) of integer input ``codes``: what the emitted C and
        Verilog compute. Codes that are not integers of the input format are an error."""
        q = _integer_codes(codes, self.spec.input, "codes")
        return self.model.evaluate(q)

    def quantize(self, x) -> np.ndarray:
        """Input codes of real values ``x``: round to nearest (ties up), saturate to the format."""
        try:
            values = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise ApproxgenError("expected real numbers", "x") from None
        if np.isnan(values).any():
            raise ApproxgenError("cannot quantize NaN", "x")
        return quantize(values, self.spec.input)

    def dequantize(self, y) -> np.ndarray:
        """Real values (float64) of output codes ``y`` (integers of the output format)."""
        return _integer_codes(y, self.spec.output, "y").astype(np.float64) * self.spec.output.scale

    def apply(self, x) -> np.ndarray:
        """``f`` through the integer path: ``dequantize(evaluate(quantize(x)))`` (float64)."""
        return self.dequantize(self.evaluate(self.quantize(x)))


def loads(text: str, where: str = "<fit>") -> Fit:
    """Parse and fully re-validate an artifact; every problem is an ApproxgenError."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApproxgenError("not an approxgen fit artifact (not JSON)", where) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ApproxgenError("not an approxgen fit artifact (no \"schema\": \"approxgen-fit\")",
                             where)
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ApproxgenError("corrupted fit artifact: bad schema_version", where)
    if version > SCHEMA_VERSION:
        raise ApproxgenError(f"fit artifact has schema {version}, newer than this approxgen "
                             f"{__version__} reads ({SCHEMA_VERSION}): upgrade approxgen", where)
    spec = _spec_from_json(data.get("spec"), where)
    if data.get("spec_hash") != spec.hash():
        raise ApproxgenError("corrupted fit artifact: spec_hash does not match the spec", where)
    model_data = data.get("model")
    if not isinstance(model_data, dict) or model_data.get("form") not in MODELS:
        raise ApproxgenError("corrupted fit artifact: model.form missing or unknown", where)
    if model_data["form"] != spec.form:
        raise ApproxgenError("corrupted fit artifact: model.form differs from spec.form", where)
    try:
        model = MODELS[model_data["form"]].from_json(model_data, spec.input, spec.output)
    except ApproxgenError as exc:
        raise ApproxgenError(f"corrupted fit artifact: {exc.message}", where) from None
    metrics, floor_metrics = measure_model(spec, model)
    calibration = data.get("calibration")
    if calibration is not None:
        from approxgen.calibrate import check_record

        calibration, sample_metrics = check_record(calibration, spec, model, where)
        metrics = {**metrics, **sample_metrics}
    elif isinstance(data.get("metrics"), dict) and any(
            str(key).startswith("sample_") for key in data["metrics"]):
        raise ApproxgenError("corrupted fit artifact: sample metrics without calibration", where)
    if not _same_metrics(data.get("metrics"), metrics):
        raise ApproxgenError("corrupted fit artifact: stored metrics do not match the model",
                             where)
    search = data.get("search")
    if not isinstance(search, dict):
        raise ApproxgenError("corrupted fit artifact: search missing", where)
    return Fit(spec, model, metrics, floor_metrics, search, calibration)


def load(path: str | Path) -> Fit:
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ApproxgenError(f"cannot read fit artifact: {getattr(exc, 'strerror', exc)}",
                             str(path)) from None
    return loads(text, str(path))


def _spec_from_json(data, where) -> Spec:
    if not isinstance(data, dict):
        raise ApproxgenError("corrupted fit artifact: spec missing", where)
    try:
        inp, domain = data["input"], data["domain"]
        raw = {key: data[key] for key in ("name", "form", "segments", "search", "search_options",
                                          "objective", "seed", "max_error_lsb", "input",
                                          "output")}
        raw["function" if data.get("function") else "expr"] = data.get("function") or data["expr"]
        raw["coef_format"] = dict(data["coef_format"])
        raw["domain"] = [domain["lo_code"] * inp["scale"], domain["hi_code"] * inp["scale"]]
    except (KeyError, TypeError):
        raise ApproxgenError("corrupted fit artifact: spec is incomplete", where) from None
    try:
        spec = resolve(raw, f"{where}: spec")
    except ApproxgenError as exc:
        raise ApproxgenError(f"corrupted fit artifact: {exc}", where) from None
    if [spec.domain[0], spec.domain[1]] != [domain["lo_code"], domain["hi_code"]]:
        raise ApproxgenError("corrupted fit artifact: spec.domain", where)
    return spec


def _same_metrics(stored, measured: dict) -> bool:
    if not isinstance(stored, dict):
        return False
    for key, value in measured.items():
        other = stored.get(key)
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return False
        if not math.isclose(float(other), float(value), rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


def _integer_codes(values, fmt: IntFormat, key: str) -> np.ndarray:
    """``values`` as int64 codes of ``fmt``; anything else is an ApproxgenError naming ``key``."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        raise ApproxgenError("expected an array of integer codes", key) from None
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ApproxgenError(f"expected integer codes, got dtype {arr.dtype}", key)
    if arr.dtype.kind == "f":
        with np.errstate(all="ignore"):
            whole = np.isfinite(arr) & (arr == np.floor(arr))
        if not whole.all():
            bad = arr.reshape(-1)[np.flatnonzero(~whole.reshape(-1))[0]]
            raise ApproxgenError(f"expected integer codes, got {bad!r}", key)
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < fmt.min_code or hi > fmt.max_code:
            bad = lo if lo < fmt.min_code else hi
            raise ApproxgenError(f"code {int(bad)} is outside {fmt.describe()} "
                                 f"({fmt.min_code}..{fmt.max_code})", key)
    return arr.astype(np.int64)
