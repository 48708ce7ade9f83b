"""Calibration from samples of a function's input (activations recorded from a real model).

The samples pick what a spec leaves unset: the input scale (``absmax``, ``percentile:P`` or
``mse``), the fitting domain (the codes the quantized samples occupy, inside the function's own
domain) and the output scale (the smallest holding ``f`` over those codes). Scales are powers of
two (requantizing to and from them is a shift, and fixed coefficient formats need them) unless the
method ends in ``:exact``.

A calibrated fit records the samples' histogram over the input codes (sparse), their count, a hash
and the share clipped at the input; ``sample_mse`` and ``sample_max_error_lsb`` are the errors
weighted by that histogram, so loading an artifact recomputes them exactly without the samples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from approxgen import spec as specs
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, pow2_scale_holding, quantize, scale_holding
from approxgen.metrics import measure_samples

DEFAULT_METHOD = "percentile:99.99"
SUFFIXES = (".npy", ".npz", ".txt")
MSE_CANDIDATES = 16  # power-of-two scales tried by ``mse``, down from the absmax scale
MAX_SAMPLES = 1 << 25  # samples in all (256 MiB as float64): a histogram needs far fewer
MAX_FILE_BYTES = 1 << 30  # a .npy or .npz file on disk
MAX_TEXT_BYTES = 64 << 20  # a .txt file
RECORD_KEYS = frozenset({"method", "samples", "sha256", "clipped", "histogram"})  # see record()
HISTOGRAM_KEYS = frozenset({"codes", "counts"})


def load_samples(source: Any, where: str = "calibrate") -> np.ndarray:
    """Samples as a flat float64 array, from an array-like or a ``.npy``/``.npz``/``.txt`` file
    (``.npz``: every array, in name order; ``.txt``: numbers separated by spaces, newlines or
    commas). Missing, unreadable, non-numeric, empty or non-finite samples, more than
    :data:`MAX_SAMPLES` of them, or a file that is not a regular file: ApproxgenError."""
    if isinstance(source, (str, Path)):
        where = str(source)
        arrays = _read_file(Path(source), where)
    else:
        try:
            arrays = [np.asarray(source)]
        except (TypeError, ValueError):
            raise ApproxgenError("samples must be an array of real numbers", where) from None
    for array in arrays:
        if array.dtype.kind not in "iuf":
            raise ApproxgenError(f"samples must be real numbers, got dtype {array.dtype}", where)
    total = sum(a.size for a in arrays)
    if total > MAX_SAMPLES:
        raise ApproxgenError(f"{total} samples, more than {MAX_SAMPLES}: give a random subset",
                             where)
    samples = np.concatenate([a.reshape(-1).astype(np.float64) for a in arrays]) if arrays \
        else np.zeros(0)
    if samples.size == 0:
        raise ApproxgenError("no samples", where)
    bad = np.flatnonzero(~np.isfinite(samples))
    if bad.size:
        raise ApproxgenError(f"sample {bad[0]} is {samples[bad[0]]} (samples must be finite)",
                             where)
    return samples


def _read_file(path: Path, where: str) -> list[np.ndarray]:
    """The arrays of a samples file, read through :func:`approxgen.safeload.open_file` (a
    regular file, bounded): a .npy/.npz array's header is checked before its data is read."""
    from approxgen.safeload import open_file, read_file

    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ApproxgenError(f"samples must be a {', '.join(SUFFIXES)} file", where)
    if suffix == ".txt":
        try:
            tokens = read_file(path, "samples", MAX_TEXT_BYTES, where).decode().replace(
                ",", " ").split()
        except UnicodeDecodeError:
            raise ApproxgenError("not a valid .txt file of numbers", where) from None
        try:
            return [np.array(tokens, dtype=np.float64)]
        except ValueError:
            bad = next(t for t in tokens if not _is_number(t))
            raise ApproxgenError(f"not a number: {bad[:40]!r}", where) from None
    with open_file(path, "samples", MAX_FILE_BYTES, where) as handle:
        try:
            if suffix == ".npy":
                return [_read_npy(handle, where, MAX_SAMPLES)]
            with zipfile.ZipFile(handle) as archive:
                members = sorted(archive.infolist(), key=lambda m: m.filename)
                arrays, budget = [], MAX_SAMPLES
                for member in members:
                    if not member.filename.endswith(".npy"):
                        raise ApproxgenError(f"member {member.filename[:60]!r} is not a .npy "
                                             f"array", where)
                    with archive.open(member) as stream:
                        arrays.append(_read_npy(stream, f"{where}: {member.filename[:60]}",
                                                budget))
                    budget -= arrays[-1].size
                return arrays
        except OSError as exc:
            if exc.strerror:
                raise ApproxgenError(f"cannot read samples: {exc.strerror}", where) from None
            raise ApproxgenError(f"not a valid {suffix} file", where) from None
        except (ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile,
                NotImplementedError, RuntimeError):  # compression or encryption zipfile lacks
            raise ApproxgenError(f"not a valid {suffix} file of numbers", where) from None


def _read_npy(stream, where: str, budget: int) -> np.ndarray:
    """One .npy array from ``stream``: its header parsed and checked (a numeric dtype, at most
    ``budget`` elements) before exactly its data is read."""
    import tokenize

    from numpy.lib import format as npy

    try:
        version = npy.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(version)
        read_header = npy.read_array_header_1_0 if version == (1, 0) \
            else npy.read_array_header_2_0
        shape, fortran, dtype = read_header(stream)
    except (ValueError, TypeError, SyntaxError, OverflowError, EOFError, MemoryError,
            RecursionError, tokenize.TokenError):
        raise ApproxgenError("not a valid .npy file (its header is malformed or cut short)",
                             where) from None
    if dtype.hasobject or dtype.kind not in "iuf" or dtype.subdtype is not None:
        raise ApproxgenError(f"samples must be real numbers, got dtype {dtype}", where)
    count = math.prod(shape)  # Python integers: a header's huge shape cannot overflow
    if count > budget:
        raise ApproxgenError(f"the array holds {count} samples, more than {MAX_SAMPLES}: give a "
                             f"random subset", where)
    data = stream.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ApproxgenError("not a valid .npy file (its data is cut short)", where)
    flat = np.frombuffer(data, dtype=dtype)
    return flat.reshape(shape, order="F" if fortran else "C") if count else flat


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_method(method: str | None, where: str = "calibration") -> tuple[str, float | None, bool]:
    """``absmax``, ``percentile:P`` (0 < P <= 100) or ``mse`` as (kind, P, exact); ``:exact``
    after absmax or percentile:P asks for exact scales rather than powers of two."""
    text = DEFAULT_METHOD if method is None else method
    usage = f"expected absmax, percentile:P or mse (absmax and percentile:P may end in :exact), " \
            f"got {text!r}"
    if not isinstance(text, str):
        raise ApproxgenError(usage, where)
    parts = text.strip().split(":")
    exact = len(parts) > 1 and parts[-1] == "exact"
    if exact:
        parts.pop()
    kind, args = parts[0], parts[1:]
    if kind in ("absmax", "mse") and not args and not (exact and kind == "mse"):
        return kind, None, exact
    if kind == "percentile" and len(args) == 1:
        try:
            p = float(args[0])
        except ValueError:
            p = math.nan
        if 0 < p <= 100:
            return kind, p, exact
        raise ApproxgenError(f"percentile:P needs 0 < P <= 100, got {text!r}", where)
    raise ApproxgenError(usage, where)


def holding(lo: float, hi: float, bits: int, signed: bool, exact: bool) -> float:
    """The smallest scale (``exact``) or power-of-two scale whose codes hold ``[lo, hi]``."""
    return (scale_holding if exact else pow2_scale_holding)(lo, hi, bits, signed)


def input_scale(samples: np.ndarray, bits: int, signed: bool,
                method: tuple[str, float | None, bool]) -> float:
    """The input scale ``method`` picks for ``samples`` (a power of two unless exact).

    absmax: the smallest scale holding every sample (none clipped); percentile:P: the smallest
    holding the P-th and (100-P)-th percentiles; mse: of the absmax scale and the
    ``MSE_CANDIDATES - 1`` powers of two below it, the one with the least mean squared
    quantization error of the samples (ties: the larger scale).
    """
    kind, p, exact = method
    if kind == "percentile":
        lo, hi = np.percentile(samples, [100.0 - p, p])
    else:
        lo, hi = samples.min(), samples.max()
    top = holding(min(float(lo), 0.0), max(float(hi), 0.0), bits, signed, exact)
    if kind != "mse":
        return top
    best, best_error = top, math.inf
    for step in range(MSE_CANDIDATES):
        scale = math.ldexp(top, -step)
        fmt = IntFormat(bits, signed, scale)
        error = float(np.mean((quantize(samples, fmt) * scale - samples) ** 2))
        if error < best_error:
            best, best_error = scale, error
    return best


def calibrated_raw(raw: dict, source: str, samples: np.ndarray, method: str | None,
                   method_where: str = "calibration", samples_where: str = "calibrate") -> dict:
    """``raw`` with the input scale, domain and output scale the samples pick, where unset."""
    parsed = parse_method(method, method_where)
    at = (lambda key: specs.FLAG_OF.get(key, key)) if source == "<flags>" \
        else (lambda key: f"{source}: {key}")
    for key in ("input", "output"):  # merging keys over a non-mapping would hide it
        if raw.get(key) and not isinstance(raw[key], dict):
            raise ApproxgenError(f"{key} must be a mapping (bits, signed, scale, ...)", at(key))
    inp, out = raw.get("input") or {}, raw.get("output") or {}
    if "range" in inp:
        raise ApproxgenError("give input.range or calibration samples, not both",
                             at("input.range"))
    if "scale" in inp:
        base = specs.resolve(raw, source)
        scale = base.input.scale
    else:
        guess = _provisional_scale(samples, inp.get("bits", 8))
        base = specs.resolve(specs.merge(raw, {"input.scale": guess}), source)
        scale = input_scale(samples, base.input.bits, base.input.signed, parsed)
    fmt = IntFormat(base.input.bits, base.input.signed, scale)
    codes = quantize(samples, fmt)
    keys: dict = {"input.scale": scale}
    if raw.get("domain") is None:
        # the codes the samples occupy, inside the function's own domain (resolved at this scale)
        own = specs.resolve(specs.merge(raw, {"input.scale": scale}), source).domain
        lo, hi = max(int(codes.min()), own[0]), min(int(codes.max()), own[1])
        if lo > hi:
            raise ApproxgenError(f"no sample lies inside the function's domain (input codes "
                                 f"{own[0]}..{own[1]})", samples_where)
        keys["domain"] = [lo * scale, hi * scale]
    try:
        spec = specs.resolve(specs.merge(raw, keys), source)
    except ApproxgenError as exc:  # the domain the samples picked: blame them, not the key
        if "domain" not in keys or exc.where != at("domain"):
            raise
        raise ApproxgenError(f"{exc.message} (the domain the samples span)",
                             samples_where) from None
    inside = _inside(np.unique(codes), spec.domain)
    if inside.size == 0:
        raise ApproxgenError(f"no sample lies inside the domain (input codes "
                             f"{spec.domain[0]}..{spec.domain[1]})", at("domain"))
    if "scale" not in out:
        values = spec.reference(inside)
        keys["output.scale"] = holding(float(values.min()), float(values.max()),
                                       spec.output.bits, spec.output.signed, parsed[2])
    return specs.merge(raw, keys)


def _provisional_scale(samples: np.ndarray, bits) -> float:
    """A scale to validate the spec with before its width and signedness are known."""
    width = bits if isinstance(bits, int) and not isinstance(bits, bool) and 2 <= bits <= 16 \
        else 8
    return pow2_scale_holding(min(float(samples.min()), 0.0), max(float(samples.max()), 0.0),
                              width, True)


def _inside(codes: np.ndarray, domain: tuple[int, int]) -> np.ndarray:
    return codes[(codes >= domain[0]) & (codes <= domain[1])]


def record(spec, samples: np.ndarray, method: str | None) -> dict:
    """The artifact's ``calibration`` entry: method, count, hash, clipped count, histogram."""
    codes = quantize(samples, spec.input)
    with np.errstate(all="ignore"):
        clipped = int(np.count_nonzero(np.abs(samples / spec.input.scale - codes) > 0.5))
    unique, counts = np.unique(codes, return_counts=True)
    digest = hashlib.sha256(np.ascontiguousarray(samples, dtype="<f8").tobytes()).hexdigest()
    return {"method": method or DEFAULT_METHOD, "samples": int(samples.size),
            "sha256": digest[:16], "clipped": clipped,
            "histogram": {"codes": unique.tolist(), "counts": counts.tolist()}}


def code_weights(spec, calibration: dict) -> np.ndarray:
    """The histogram's counts at every domain code (zero where no sample fell): the weights of
    ``weights: samples``."""
    hist = calibration["histogram"]
    codes = np.asarray(hist["codes"], dtype=np.int64)
    counts = np.asarray(hist["counts"], dtype=np.float64)
    keep = (codes >= spec.domain[0]) & (codes <= spec.domain[1])
    weights = np.zeros(spec.domain[1] - spec.domain[0] + 1)
    weights[codes[keep] - spec.domain[0]] = counts[keep]
    return weights


def sample_metrics(spec, model, calibration: dict) -> dict:
    """``sample_mse`` and ``sample_max_error_lsb`` over the histogram's codes inside the domain
    (samples outside it are not fitted, so not measured)."""
    hist = calibration["histogram"]
    codes = np.asarray(hist["codes"], dtype=np.int64)
    counts = np.asarray(hist["counts"], dtype=np.int64)
    keep = (codes >= spec.domain[0]) & (codes <= spec.domain[1])
    codes, counts = codes[keep], counts[keep]
    if codes.size == 0:
        raise ApproxgenError(f"no sample lies inside the fitting domain (input codes "
                             f"{spec.domain[0]}..{spec.domain[1]})", "samples")
    return measure_samples(model.evaluate(codes), spec.reference(codes), spec.output, counts)


def measure(fit, samples: Any) -> dict:
    """``sample_mse`` and ``sample_max_error_lsb`` of ``fit`` over other samples (held out)."""
    return sample_metrics(fit.spec, fit.model, record(fit.spec, load_samples(samples), None))


def outside_domain(spec, calibration: dict) -> int:
    """How many samples have input codes outside the fitting domain."""
    hist = calibration["histogram"]
    codes = np.asarray(hist["codes"], dtype=np.int64)
    counts = np.asarray(hist["counts"], dtype=np.int64)
    return int(counts[(codes < spec.domain[0]) | (codes > spec.domain[1])].sum())


def attach(fit, samples: np.ndarray, method: str | None):
    """``fit`` with its calibration record and sample metrics."""
    calibration = record(fit.spec, samples, method)
    metrics = {**fit.metrics, **sample_metrics(fit.spec, fit.model, calibration)}
    return dataclasses.replace(fit, metrics=metrics, calibration=calibration)


def check_record(data: Any, spec, model, where: str) -> tuple[dict, dict]:
    """Validate a loaded ``calibration`` entry; return it and the sample metrics it implies."""
    def fail(what: str):
        raise ApproxgenError(f"corrupted fit artifact: calibration.{what}", where)

    if not isinstance(data, dict) or not isinstance(data.get("histogram"), dict):
        fail("histogram")
    for mapping, keys, prefix in ((data, RECORD_KEYS, ""), (data["histogram"], HISTOGRAM_KEYS,
                                                             "histogram.")):
        unknown = sorted(map(str, set(mapping) - keys))
        if unknown:
            fail(f"{prefix}{unknown[0][:40]} (an unknown key)")
    hist = data["histogram"]
    codes, counts = hist.get("codes"), hist.get("counts")
    for name, values in (("codes", codes), ("counts", counts)):
        if not isinstance(values, list) or not values or any(
                isinstance(v, bool) or not isinstance(v, int) for v in values):
            fail(f"histogram.{name}")
    if len(codes) != len(counts) or any(c < 1 for c in counts):
        fail("histogram.counts")
    if any(b <= a for a, b in zip(codes, codes[1:])) or codes[0] < spec.input.min_code \
            or codes[-1] > spec.input.max_code:
        fail("histogram.codes")
    total = data.get("samples")
    if isinstance(total, bool) or not isinstance(total, int) or total != sum(counts):
        fail("samples")
    clipped = data.get("clipped")
    if isinstance(clipped, bool) or not isinstance(clipped, int) or not 0 <= clipped <= total:
        fail("clipped")
    if not isinstance(data.get("sha256"), str):
        fail("sha256")
    try:
        if not isinstance(data.get("method"), str):
            fail("method")
        parse_method(data["method"])
    except ApproxgenError:
        fail("method")
    if not _inside(np.asarray(codes, dtype=np.int64), spec.domain).size:
        fail("histogram.codes")
    return data, sample_metrics(spec, model, data)
