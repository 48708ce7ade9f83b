"""The fit artifact: a versioned JSON file holding everything emitters need, and nothing else.

It records the canonical spec (and its hash), the integers of the model, the search method with its
seed and settings, and the metrics measured over every domain code. No timestamps: the same spec and
version always give the same bytes. Loading re-validates all of it (see :func:`loads`), and checks a
sha256 digest of the canonical content, so a hand-edited or corrupted file is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from approxgen.version import __version__
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, integer_codes, quantize
from approxgen.metrics import measure_model
from approxgen import forms
from approxgen.model import Model
from approxgen.safeload import load_json_bytes
from approxgen.spec import Spec, check_plain, resolve

SCHEMA = "approxgen-fit"
BLOCK_SCHEMA = "approxgen-block"  # a block's artifact: approxgen.blocks.artifact
SCHEMA_VERSION = 2  # 2: metrics against sat(f) (+ saturated_codes, max_clip_lsb); every key
#   checked; "digest" of the canonical content
_TOP_KEYS = {"schema", "schema_version", "tool_version", "spec_hash", "spec", "model", "search",
             "metrics", "floor_metrics", "digest"}
_SEARCH_KEYS = {"method", "seed", "settings", "notes"}
_VERSION_RE = re.compile(r"^[0-9A-Za-z.+_-]{1,40}$")
_MAX_NOTES, _MAX_NOTE = 32, 400
_CHUNK = 1 << 20  # codes evaluated at once by Fit.evaluate


@dataclass(frozen=True)
class Fit:
    """One fit: ``spec`` (the validated spec it is a fit of), ``model`` (the golden model: the
    integers, :mod:`approxgen.model`), ``metrics`` (the model against float64 f over every
    domain code: max and mean error in LSB, mismatches against the correctly rounded table,
    saturated codes...; with calibration also over the samples), ``floor_metrics`` (the same for
    the correctly rounded table: the best any approximation can do), ``search`` (how it was
    found: method, seed, the search's settings, notes) and ``calibration`` (the samples' record,
    or None). Saved as a versioned JSON artifact (:meth:`dumps`) and re-validated on load."""

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
        data["digest"] = digest(data)
        return data

    def dumps(self) -> str:
        """The artifact's JSON text; never NaN or Infinity (refused, naming the spec)."""
        try:
            return json.dumps(self.to_json(), indent=2, sort_keys=True, allow_nan=False) + "\n"
        except ValueError:
            raise ApproxgenError("the fit holds a number that is not finite (its metrics or "
                                 "search settings); check the scales and search_options",
                                 self.spec.source) from None

    def save(self, path: str | Path) -> None:
        """Write the artifact to ``path`` atomically (never half a file)."""
        from approxgen.outputs import write_all

        write_all([(_path(path, "save(path)"), self.dumps())])

    def evaluate(self, codes) -> np.ndarray:
        """Output codes (int64, same shape) of integer input ``codes``: what the emitted C and
        Verilog compute. Codes that are not integers of the input format are an error."""
        try:
            q = integer_codes(codes, self.spec.input, "codes")
            out = np.empty(q.shape, dtype=np.int64)
            flat_in, flat_out = q.reshape(-1), out.reshape(-1)
            for start in range(0, flat_in.size, _CHUNK):  # the model's temporaries stay small
                flat_out[start:start + _CHUNK] = self.model.evaluate(flat_in[start:start + _CHUNK])
        except MemoryError:
            raise ApproxgenError(f"not enough memory for {np.size(codes)} codes: evaluate "
                                 f"them in parts", "codes") from None
        return out

    def quantize(self, x) -> np.ndarray:
        """Input codes of real values ``x``: round to nearest (ties up), saturate to the format."""
        try:
            values = np.asarray(x)
        except (TypeError, ValueError):
            raise ApproxgenError("expected real numbers", "x") from None
        if values.dtype.kind not in "iuf":  # complex (its imaginary part would be dropped), text
            raise ApproxgenError(f"expected real numbers, got dtype {values.dtype}", "x")
        values = values.astype(np.float64)
        if np.isnan(values).any():
            raise ApproxgenError("cannot quantize NaN", "x")
        return quantize(values, self.spec.input)

    def dequantize(self, y) -> np.ndarray:
        """Real values (float64) of output codes ``y`` (integers of the output format)."""
        return integer_codes(y, self.spec.output, "y").astype(np.float64) * self.spec.output.scale

    def apply(self, x) -> np.ndarray:
        """``f`` through the integer path: ``dequantize(evaluate(quantize(x)))`` (float64)."""
        return self.dequantize(self.evaluate(self.quantize(x)))

    def compile(self, compiler: str | None = None):
        """The exported C built by the system compiler into a cached shared library, as a
        numpy callable: input codes in, output codes out (see :mod:`approxgen.native`)."""
        from approxgen.native import compile_fit

        return compile_fit(self, compiler)


def digest(data: dict) -> str:
    """sha256 of the canonical JSON of an artifact without its ``digest`` key."""
    body = {k: v for k, v in data.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def loads(text: str | bytes, where: str = "<fit>") -> Fit:
    """Parse and fully re-validate an artifact; every problem is an ApproxgenError.

    Checked: every key and its type (no unknown or missing keys), the spec (re-resolved, and
    equal to its canonical form and spec_hash), the model against the spec (form, segment count,
    breakpoints inside the domain's code range, declared widths, shifts), the search record
    (method, seed, plain single-line strings), the metrics (re-measured), and last the digest of
    the canonical content, so any other edit is refused too."""
    return from_json(parse_json(text, where), where)


def parse_json(text: str | bytes, where: str, what: str = "fit artifact"):
    """The parsed JSON of an artifact's text (:func:`approxgen.safeload.load_json_bytes`: size,
    depth and numbers bounded); text that is not JSON is "not an approxgen ``what``"."""
    try:
        return load_json_bytes(text.encode() if isinstance(text, str) else text, where, what)
    except ApproxgenError as exc:
        if "not valid JSON" in exc.message or "not UTF-8" in exc.message:
            raise ApproxgenError(f"not an approxgen {what} (not JSON)", where) from None
        raise


def from_json(data, where: str = "<fit>") -> Fit:
    """The Fit of a parsed fit artifact, re-validated (see :func:`loads`)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        if isinstance(data, dict) and data.get("schema") == BLOCK_SCHEMA:
            raise ApproxgenError("is a block artifact, not a fit artifact", where)
        raise ApproxgenError("not an approxgen fit artifact (no \"schema\": \"approxgen-fit\")",
                             where)
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ApproxgenError("corrupted fit artifact: bad schema_version", where)
    if version > SCHEMA_VERSION:
        raise ApproxgenError(f"fit artifact has schema {version}, newer than this approxgen "
                             f"{__version__} reads ({SCHEMA_VERSION}): upgrade approxgen", where)
    if version < SCHEMA_VERSION:
        raise ApproxgenError(f"fit artifact has the older schema {version}, whose metrics measure "
                             f"against unsaturated f (this approxgen reads {SCHEMA_VERSION}): fit "
                             f"the spec again", where)
    _keys(data, _TOP_KEYS | ({"calibration"} & set(data)), "", where)
    if not isinstance(data["tool_version"], str) or not _VERSION_RE.match(data["tool_version"]):
        raise ApproxgenError("corrupted fit artifact: tool_version", where)
    spec = _spec_from_json(data["spec"], where)
    if data["spec_hash"] != spec.hash():
        raise ApproxgenError("corrupted fit artifact: spec_hash does not match the spec", where)
    model = _model_from_json(data["model"], spec, where)
    search = _search_from_json(data["search"], spec, where)
    metrics, floor_metrics = measure_model(spec, model)
    calibration = data.get("calibration")
    if calibration is not None:
        from approxgen.calibrate import check_record

        calibration, sample_metrics = check_record(calibration, spec, model, where)
        metrics = {**metrics, **sample_metrics}
    elif spec.weights != "none":
        raise ApproxgenError(f"corrupted fit artifact: spec.weights is {spec.weights} but there "
                             f"is no calibration", where)
    elif isinstance(data["metrics"], dict) and any(
            str(key).startswith("sample_") for key in data["metrics"]):
        raise ApproxgenError("corrupted fit artifact: sample metrics without calibration", where)
    if not _same_metrics(data["metrics"], metrics):
        raise ApproxgenError("corrupted fit artifact: stored metrics do not match the model",
                             where)
    if not _same_metrics(data["floor_metrics"], floor_metrics):
        raise ApproxgenError("corrupted fit artifact: stored floor_metrics do not match the spec",
                             where)
    if not isinstance(data["digest"], str) or data["digest"] != digest(data):
        raise ApproxgenError("corrupted fit artifact: digest does not match its content "
                             "(hand-edited?): fit it again", where)
    return Fit(spec, model, metrics, floor_metrics, search, calibration)


def load(path: str | Path) -> Fit:
    """Read (:func:`approxgen.safeload.read_file`) and re-validate the artifact at ``path``."""
    from approxgen.safeload import MAX_JSON_BYTES, read_file

    return loads(read_file(_path(path, "load(path)"), "fit artifact", MAX_JSON_BYTES), str(path))


def _path(path, where: str) -> str:
    """``path`` (a str or os.PathLike, not empty) as a str; anything else names ``where``."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise ApproxgenError(f"expected a file path (a non-empty str or os.PathLike), got "
                             f"{path!r}", where)
    return path


def _keys(data, allowed: set, prefix: str, where: str, what: str = "fit artifact") -> None:
    """``data`` is a mapping with exactly the keys ``allowed`` (else a corrupted ``what``)."""
    if not isinstance(data, dict):
        raise ApproxgenError(f"corrupted {what}: {prefix.rstrip('.') or 'top level'} must "
                             f"be a mapping", where)
    missing, unknown = sorted(allowed - set(data)), sorted(set(data) - allowed)
    if missing:
        raise ApproxgenError(f"corrupted {what}: missing key {prefix}{missing[0]}", where)
    if unknown:
        raise ApproxgenError(f"corrupted {what}: unknown key {prefix}{unknown[0]}", where)


def _spec_from_json(data, where) -> Spec:
    if not isinstance(data, dict):
        raise ApproxgenError("corrupted fit artifact: spec missing", where)
    own = forms.declared_keys().values()  # the forms' own keys, recorded as each declares
    required = _SPEC_KEYS | {k.name for k in own if not k.optional}
    _keys(data, required | (({k.name for k in own if k.optional} | _OPTIONAL_SPEC_KEYS)
                            & set(data)), "spec.", where)
    try:
        inp, domain = data["input"], data["domain"]
        raw = {key: data[key] for key in ("name", "form", "segments", "search", "search_options",
                                          "objective", "seed", "max_error_lsb", "input",
                                          "output")}
        for key in _OPTIONAL_SPEC_KEYS:  # recorded only when set
            if key in data:
                raw[key] = data[key]
        for key in own:  # unrecorded: the value it then means (interp order: 1)
            raw[key.name] = data[key.name] if key.name in data or not key.optional \
                else key.implicit
        raw["function" if data.get("function") else "expr"] = data.get("function") or data["expr"]
        raw["coef_format"] = dict(data["coef_format"])
        # half a code above hi_code: a one-code domain still gives lo < hi
        raw["domain"] = [domain["lo_code"] * inp["scale"],
                         (domain["hi_code"] + 0.5) * inp["scale"]]
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ApproxgenError("corrupted fit artifact: spec is incomplete", where) from None
    try:
        spec = resolve(raw, f"{where}: spec", form_keys_only=False)  # canonical: every key
    except ApproxgenError as exc:
        raise ApproxgenError(f"corrupted fit artifact: {exc}", where) from None
    if [spec.domain[0], spec.domain[1]] != [domain["lo_code"], domain["hi_code"]]:
        raise ApproxgenError("corrupted fit artifact: spec.domain", where)
    canonical = spec.to_json()
    for key in sorted(canonical):
        if not _same_json(canonical[key], data[key]):
            raise ApproxgenError(f"corrupted fit artifact: spec.{key} is not in canonical form",
                                 where)
    return spec


_SPEC_KEYS = {"name", "function", "expr", "input", "output", "domain", "form", "segments",
              "coef_format", "search", "search_options", "objective", "seed", "max_error_lsb"}
# when set (and forms' keys: Key.optional)
_OPTIONAL_SPEC_KEYS = {"weights", "max_bytes", "fold", "bytes_target"}


def _model_from_json(data, spec: Spec, where: str) -> Model:
    """The model, checked against its own contract and against the spec."""
    if not isinstance(data, dict) or not isinstance(data.get("form"), str) \
            or data["form"] not in forms.FORMS:
        raise ApproxgenError("corrupted fit artifact: model.form missing or unknown", where)
    if data["form"] != spec.form:
        raise ApproxgenError("corrupted fit artifact: model.form differs from spec.form", where)
    try:
        model = forms.model_from_json(data, spec.input, spec.output)
    except ApproxgenError as exc:
        raise ApproxgenError(f"corrupted fit artifact: {exc.message}", where) from None
    problem = _disagreement(model, spec)
    if problem:
        raise ApproxgenError(f"corrupted fit artifact: the model disagrees with its spec: "
                             f"{problem}", where)
    _keys(data, set(model.to_json()), "model.", where)
    if not _same_json(model.to_json(), data):
        raise ApproxgenError("corrupted fit artifact: model widths (product_bits, acc_bits) do "
                             "not match its integers", where)
    return model


def _disagreement(model: Model, spec: Spec) -> str | None:
    """Why ``model`` cannot be a fit of ``spec`` (None when it can): its form says, and its C
    tables must fit the spec's ``max_bytes``."""
    form = forms.of(model)
    problem = form.disagreement(model, spec) or forms.wrapping_problem(model, spec)
    if problem is None and spec.max_bytes is not None:
        from approxgen.emit.c import table_bytes

        if table_bytes(model) > spec.max_bytes:
            problem = f"its C tables take {table_bytes(model)} bytes, max_bytes {spec.max_bytes}"
    return problem


def _search_from_json(data, spec: Spec, where: str) -> dict:
    _keys(data, _SEARCH_KEYS, "search.", where)
    method = forms.get(spec.form).method(spec)
    if data["method"] != method:
        raise ApproxgenError(f"corrupted fit artifact: search.method must be {method!r} for this "
                             f"spec", where)
    if isinstance(data["seed"], bool) or data["seed"] != spec.seed:
        raise ApproxgenError("corrupted fit artifact: search.seed differs from spec.seed", where)
    if not isinstance(data["settings"], dict):
        raise ApproxgenError("corrupted fit artifact: search.settings must be a mapping", where)
    try:
        check_plain(data["settings"], "search.settings", lambda k: k)
    except ApproxgenError as exc:
        raise ApproxgenError(f"corrupted fit artifact: {exc}", where) from None
    notes = data["notes"]
    if not isinstance(notes, list) or len(notes) > _MAX_NOTES:
        raise ApproxgenError("corrupted fit artifact: search.notes must be a list of strings",
                             where)
    for note in notes:
        if not isinstance(note, str) or len(note) > _MAX_NOTE or not note.isprintable():
            raise ApproxgenError("corrupted fit artifact: search.notes holds a value that is "
                                 "not a short single-line printable string", where)
    return data


def _same_json(a, b) -> bool:
    """Equal as canonical JSON (so 1 and 1.0, or True and 1, differ)."""
    dump = lambda v: json.dumps(v, sort_keys=True, allow_nan=False)  # noqa: E731
    try:
        return dump(a) == dump(b)
    except (ValueError, TypeError):
        return False


def _same_metrics(stored, measured: dict) -> bool:
    if not isinstance(stored, dict) or set(stored) != set(measured):
        return False
    for key, value in measured.items():
        other = stored.get(key)
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return False
        if isinstance(value, int) and not (isinstance(other, int) and other == value):
            return False
        if not math.isclose(float(other), float(value), rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True
