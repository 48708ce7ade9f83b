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

from approxgen import __version__
from approxgen.errors import ApproxgenError
from approxgen.metrics import measure_model
from approxgen.model import MODELS, Model
from approxgen.spec import Spec, resolve

SCHEMA = "approxgen-fit"
SCHEMA_VERSION = 2  # 2: metrics against sat(f), with saturated_codes and max_clip_lsb


@dataclass(frozen=True)
class Fit:
    spec: Spec
    model: Model
    metrics: dict
    floor_metrics: dict
    search: dict  # method, seed, settings, notes

    def to_json(self) -> dict:
        return {
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

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"


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
    if version < SCHEMA_VERSION:
        raise ApproxgenError(f"fit artifact has schema {version}, whose metrics measure against "
                             f"unsaturated f; this approxgen reads schema {SCHEMA_VERSION}: fit "
                             f"the spec again", where)
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
    if not _same_metrics(data.get("metrics"), metrics):
        raise ApproxgenError("corrupted fit artifact: stored metrics do not match the model",
                             where)
    search = data.get("search")
    if not isinstance(search, dict):
        raise ApproxgenError("corrupted fit artifact: search missing", where)
    return Fit(spec, model, metrics, floor_metrics, search)


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
                                          "output", "acc_bits")}
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
