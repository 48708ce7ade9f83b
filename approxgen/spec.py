"""Function specs: YAML files or CLI flags, validated into one typed :class:`Spec`.

A raw spec is a plain mapping (from YAML, with CLI flags laid over it); :func:`resolve` checks every
key and derives the defaults (scales, domain, name). Every error names the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from approxgen import forms as _forms, functions
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, parse_scale, pow2_scale_covering, pow2_scale_holding
from approxgen.search import SEARCHES, check_options

FORMS = tuple(_forms.FORMS)  # the registry of form plug-ins
OBJECTIVES = ("mse", "max", "rounding")
WEIGHTS = ("none", "samples")  # samples: the objective weighted by the calibration histogram
FOLDS = ("auto", "none", "on")  # symmetry folding (approxgen.forms.folded)
INPUT_BITS = (2, 16)
OUTPUT_BITS = (2, 32)
COEF_BITS = (2, 32)
DEFAULTS = {"form": "pwl", "segments": 8, "search": "exact", "objective": "max", "seed": 0}
# A spec naming no form at most this many input bits wide is a correctly rounded table
# (default_form): the plain one, else the folded one (fold auto), whichever first fits max_bytes.
SMALL_INPUT_BITS = 8
SMALL_INPUT_DEFAULTS = ({"form": "table", "fold": "none"}, {"form": "table", "fold": "auto"})

# The keys of every spec; a form's own keys (approxgen.forms.Key) join them (top_keys).
_TOP_KEYS = {"name", "function", "expr", "input", "output", "domain", "form", "segments",
             "coef_format", "search", "search_options", "objective", "seed", "max_error_lsb",
             "weights", "max_bytes", "fold", "bytes_target", "calibrate", "calibration"}
# The keys every form reads; each form declares the others it reads (Form.spec_keys).
COMMON_KEYS = frozenset({"name", "function", "expr", "input", "output", "domain", "form",
                         "max_bytes", "fold", "bytes_target", "calibrate", "calibration"})
# Read where a spec is fitted (approxgen.fitting.plan), before resolve: the samples file, method.
CALIBRATION_KEYS = ("calibrate", "calibration")
_MISSING = object()
_INPUT_KEYS = {"bits", "signed", "scale", "range"}
_OUTPUT_KEYS = {"bits", "signed", "scale"}
_COEF_RE = re.compile(r"^\s*(\d+)\s*:\s*(-?\d+)\s*$")
def _name_problem(name) -> str | None:
    """Why ``name`` cannot name the emitted function/module: each emitter declares its reserved
    names (:func:`approxgen.emit.name_problem` asks them all)."""
    from approxgen.emit import name_problem

    return name_problem(name)


@dataclass(frozen=True)
class CoefFormat:
    """A fixed coefficient format in real units: signed ``bits`` wide with ``frac`` fraction bits."""

    bits: int
    frac: int

    def __str__(self) -> str:
        return f"{self.bits}:{self.frac}"


def top_keys() -> set[str]:
    """Every key a spec may carry: the common ones and those the forms declare."""
    return _TOP_KEYS | set(_forms.declared_keys())


@dataclass(frozen=True)
class Spec:
    """A validated spec. ``domain`` is the closed range of input codes fitted and measured;
    ``segments`` a count or ``auto``; ``slope_format``/``intercept_format`` a fixed
    ``coef_format`` (None: automatic); ``search``/``search_options`` the breakpoint search;
    ``objective`` max, mse or rounding; ``max_error_lsb``/``max_bytes`` the budgets; ``fold``
    auto, none or on; ``source`` the file (or ``<flags>``) errors name. ``keys``: the values of
    the forms' own keys (:class:`approxgen.forms.Key`; read as attributes, ``spec.order``), a
    form that does not read one having its ``unset`` value."""

    name: str
    function: functions.Function
    input: IntFormat
    output: IntFormat
    domain: tuple[int, int]
    form: str = "pwl"
    segments: int | str = 8
    slope_format: CoefFormat | None = None
    intercept_format: CoefFormat | None = None
    search: str = "exact"
    search_options: dict = field(default_factory=dict)
    objective: str = "max"
    seed: int = 0
    max_error_lsb: float | None = None
    weights: str = "none"  # none, or samples: weighted by the calibration samples' histogram
    max_bytes: int | None = None  # budget on the C header's static const tables (bytes)
    fold: str = "auto"  # auto, none or on: fit one half and reconstruct the other by symmetry
    # what max_bytes counts: the C tables, or the whole compiled kernel on a target
    # (approxgen.footprint: host, cortex-m0, cortex-m4, cortex-m7)
    bytes_target: str = "tables"
    keys: tuple[tuple[str, object], ...] = ()  # (name, value) of the forms' own keys, sorted
    source: str = "<flags>"

    def __getattr__(self, name: str):
        """A form's own key (``spec.acc_bits``, ``spec.order``): its value, else its unset one."""
        if name.startswith("__") or name == "keys":
            raise AttributeError(name)
        value = dict(self.keys).get(name, _MISSING)
        if value is not _MISSING:
            return value
        key = _forms.declared_keys().get(name)
        if key is None:
            raise AttributeError(f"'Spec' object has no attribute {name!r}")
        return key.unset

    def with_keys(self, **values) -> "Spec":
        """This spec with the forms' own keys ``values`` set (``with_keys(order=2)``)."""
        return replace(self, keys=tuple(sorted({**dict(self.keys), **values}.items())))

    def at(self, key: str) -> str:
        """Where ``key`` of this spec came from, for errors: ``file: key`` or the CLI flag."""
        return where_of(self.source, key)

    def domain_codes(self) -> np.ndarray:
        return np.arange(self.domain[0], self.domain[1] + 1, dtype=np.int64)

    def reference(self, codes: np.ndarray) -> np.ndarray:
        """float64 ``f(q * S_in)`` for the given codes."""
        with np.errstate(all="ignore"):
            return self.function.evaluate(codes.astype(np.float64) * self.input.scale)

    def to_json(self) -> dict:
        """The canonical form: what the spec hash covers and what a fit artifact records."""
        fmt = lambda f: str(f) if f else "auto"  # noqa: E731
        return {
            "name": self.name,
            "function": None if self.function.expr else self.function.name,
            "expr": self.function.expr,
            "input": {"bits": self.input.bits, "signed": self.input.signed,
                      "scale": self.input.scale},
            "output": {"bits": self.output.bits, "signed": self.output.signed,
                       "scale": self.output.scale},
            "domain": {"lo_code": self.domain[0], "hi_code": self.domain[1]},
            "form": self.form,
            "segments": self.segments,
            "coef_format": {"slope": fmt(self.slope_format), "intercept": fmt(self.intercept_format)},
            "search": self.search,
            "search_options": dict(sorted(self.search_options.items())),
            "objective": self.objective,
            "seed": self.seed,
            "max_error_lsb": self.max_error_lsb,
            # a form's own keys as they declare (interp order 1 unrecorded: older artifacts'
            # hash), the others only when set, so unweighted specs keep their hash
            **{key.name: getattr(self, key.name) for key in _forms.declared_keys().values()
               if key.recorded(getattr(self, key.name))},
            **({"weights": self.weights} if self.weights != "none" else {}),
            **({"max_bytes": self.max_bytes} if self.max_bytes is not None else {}),
            **({"fold": self.fold} if self.fold != "auto" else {}),
            **({"bytes_target": self.bytes_target} if self.bytes_target != "tables" else {}),
        }

    def hash(self) -> str:
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_yaml(path: str | Path) -> dict:
    """Read a spec file into a raw mapping; errors name the file and line."""
    from approxgen.safeload import MAX_YAML_BYTES, read_file

    path = Path(path)
    return loads_yaml(read_file(path, "spec", MAX_YAML_BYTES), str(path), stem=path.stem)


def loads_yaml(data: bytes | str, where: str, stem: str | None = None) -> dict:
    """Parse spec bytes into a raw mapping (with :mod:`approxgen.safeload`'s limits). Without
    ``name:``, a spec file is named after its file ``stem`` (when that is a usable identifier)."""
    from approxgen.safeload import load_yaml_bytes

    data = load_yaml_bytes(data.encode() if isinstance(data, str) else data, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ApproxgenError("a spec must be a mapping of keys to values", where)
    if "name" not in data and stem and _name_problem(stem) is None:
        data["name"] = stem
    return data


def form_keys(form: str) -> frozenset[str]:
    """The top-level keys a spec of ``form`` (a registered form) may carry."""
    return COMMON_KEYS | _forms.get(form).spec_keys


def merge(raw: dict, overrides: dict) -> dict:
    """Lay ``overrides`` (CLI flags, dotted keys like ``input.bits``) over a raw spec. When they
    change the form, the spec's keys the new form does not read are dropped first (they were the
    old form's: ``--form table`` over a pwl spec with ``segments``); the overrides' own stay."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    form = overrides.get("form")
    if form is not None and form in FORMS and form != raw.get("form", DEFAULTS["form"]):
        merged = {k: v for k, v in merged.items() if k in form_keys(form)}
    for dotted, value in overrides.items():
        if value is None:
            continue
        head, _, tail = dotted.partition(".")
        if tail:
            sub = merged.get(head)
            merged[head] = dict(sub) if isinstance(sub, dict) else {}
            merged[head][tail] = value
        else:
            merged[head] = value
    return merged


# Where a key came from a CLI flag, errors name the flag.
FLAG_OF = {"function": "FUNCTION", "input.bits": "--in-bits/--bits",
           "output.bits": "--out-bits/--bits", "input.scale": "--in-scale",
           "output.scale": "--out-scale", "input.signed": "--unsigned", "domain": "--domain",
           "form": "--form", "segments": "--segments", "max_error_lsb": "--max-error-lsb",
           "coef_format": "--coef-format", "search": "--search", "objective": "--objective",
           "seed": "--seed", "name": "--name",
           "weights": "--weights", "max_bytes": "--max-bytes", "fold": "--fold",
           "bytes_target": "--bytes-target", "calibrate": "--calibrate",
           "calibration": "--calibration"}


def where_of(source: str, key: str) -> str:
    """``source: key`` for a spec file, the flag (``--max-error-lsb``, a form's own key's
    declared one) for the command line."""
    if source == "<flags>":
        declared = _forms.declared_keys().get(key)
        return FLAG_OF.get(key, declared.flag if declared else key)
    return f"{source}: {key}"


def resolve(raw: dict, source: str = "<flags>", form_keys_only: bool = True) -> Spec:
    """Validate a raw mapping into a :class:`Spec`, deriving every default.

    ``source`` names the spec file in errors; ``"<flags>"`` means the command line. A key the
    spec's form does not read (:func:`form_keys`) is an error unless ``form_keys_only`` is False
    (an artifact's canonical spec, which records every key).
    """
    if "form" not in raw:
        return default_form(raw, source)

    def at(key: str) -> str:
        return where_of(source, key)
    known = top_keys()
    unknown = sorted(set(map(str, raw)) - known)
    if unknown:
        raise ApproxgenError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})",
                             at(unknown[0]))
    given = [key for key in CALIBRATION_KEYS if raw.get(key) is not None]
    if given:
        raise ApproxgenError("calibration samples are read where the spec is fitted (fit, build, "
                             "sweep, emit; approxgen.fitting.plan), not here", at(given[0]))

    func = _resolve_function(raw, at)
    inp = _section(raw, "input", _INPUT_KEYS, at)
    out = _section(raw, "output", _OUTPUT_KEYS, at)

    in_bits = _int(inp.get("bits", 8), "input.bits", at, *INPUT_BITS)
    in_signed = _bool(inp.get("signed"), "input.signed", at)
    if "scale" in inp and "range" in inp:
        raise ApproxgenError("give input.scale or input.range, not both", at("input.range"))
    rng = _range(inp["range"], "input.range", at) if "range" in inp else func.input_range
    if in_signed is None:
        in_signed = func.input_signed if "range" not in inp else rng[0] < 0
    if "scale" in inp:
        in_scale = parse_scale(inp["scale"], at("input.scale"))
    elif rng is not None:
        in_scale = pow2_scale_covering(rng[0], rng[1], in_bits, in_signed)
    else:
        raise ApproxgenError("a custom expr needs input.scale or input.range", at("input"))
    _scale_in_range(in_scale, "input.scale" if "scale" in inp else "input.range", at)
    in_fmt = IntFormat(in_bits, in_signed, in_scale)

    domain = _resolve_domain(raw, func, in_fmt, at)
    codes = np.arange(domain[0], domain[1] + 1, dtype=np.int64)
    with np.errstate(all="ignore"):
        values = func.evaluate(codes.astype(np.float64) * in_scale)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        q = int(codes[bad[0]])
        key = "domain" if "domain" in raw else ("expr" if func.expr else "function")
        raise ApproxgenError(f"{func.name if not func.expr else 'expr'} is not finite at "
                             f"x = {q * in_scale:g} (input code {q}) inside the fitting domain; "
                             f"set domain to a range where it is defined", at(key))

    out_bits = _int(out.get("bits", in_bits), "output.bits", at, *OUTPUT_BITS)
    out_signed = _bool(out.get("signed"), "output.signed", at)
    if out_signed is None:
        out_signed = bool(values.min() < 0)
    scale_raw = out.get("scale", "auto")
    if scale_raw == "auto":
        out_scale = pow2_scale_holding(float(values.min()), float(values.max()), out_bits,
                                       out_signed)
    else:
        out_scale = parse_scale(scale_raw, at("output.scale"))
    _scale_in_range(out_scale, "output.scale", at)
    out_fmt = IntFormat(out_bits, out_signed, out_scale)

    form = _choice(raw.get("form", DEFAULTS["form"]), "form", FORMS, at)
    if form_keys_only:
        _check_form_keys(raw, form, at)
    segments = raw.get("segments", DEFAULTS["segments"])
    if "segments" not in raw and "segments" in form_keys(form):  # the default: at most the codes
        segments = min(segments, domain[1] - domain[0] + 1)
    max_err = raw.get("max_error_lsb")
    if max_err is not None:
        max_err = _number(max_err, "max_error_lsb", at)
        if max_err <= 0:
            raise ApproxgenError("max_error_lsb must be > 0", at("max_error_lsb"))
    max_bytes = _max_bytes(raw, form, segments, at)
    if segments == "auto":
        if max_err is None and raw.get("objective") != "rounding" and max_bytes is None:
            raise ApproxgenError("segments: auto needs max_error_lsb (the error budget), "
                                 "max_bytes (a byte budget) or objective: rounding",
                                 at("segments"))
    elif "segments" in form_keys(form):
        codes, cap = domain[1] - domain[0] + 1, MAX_SEGMENTS.get(form, MAX_SEGMENTS["*"])
        segments = _int(segments, "segments", at, 1, min(codes, cap),
                        what="the number of input codes in the domain" if codes <= cap else
                        f"more segments than {cap} would take form {form} many minutes to fit")
    elif segments != DEFAULTS["segments"]:  # a form without segments records the default
        raise ApproxgenError(f"form {form} has no segments, got {segments!r}", at("segments"))

    slope_fmt, intercept_fmt = _coef_formats(raw.get("coef_format", "auto"), at)
    if (slope_fmt or intercept_fmt) and (in_fmt.scale_exp is None or out_fmt.scale_exp is None):
        raise ApproxgenError("a fixed coef_format needs power-of-two input and output scales",
                             at("coef_format"))

    _check_shifts(slope_fmt, intercept_fmt, in_fmt, out_fmt, at)

    search = _choice(raw.get("search", DEFAULTS["search"]), "search", tuple(SEARCHES), at)
    options = raw.get("search_options", {}) or {}
    if not isinstance(options, dict):
        raise ApproxgenError("search_options must be a mapping", at("search_options"))
    check_plain(options, "search_options", at)
    objective = _choice(raw.get("objective", DEFAULTS["objective"]), "objective", OBJECTIVES, at)
    seed = _int(raw.get("seed", DEFAULTS["seed"]), "seed", at, 0, 2**32 - 1)
    options = {str(k): v for k, v in options.items()}
    own = tuple(sorted((key.name, _read_key(key, raw.get(key.name), at))
                       for key in _forms.get(form).keys))
    _check_search_work(search, check_options(search, options, at("search_options"), objective),
                       at)  # before any work
    refusal = _forms.get(form).search_refusal(search) if "search" in form_keys(form) else None
    if refusal:
        raise ApproxgenError(refusal, at("search"))
    weights = _choice(raw.get("weights", "none"), "weights", WEIGHTS, at)
    if weights != "none" and not _forms.get(form).weighted:
        raise ApproxgenError(f"form {form} does not fit weighted objectives (weights: samples "
                             f"works with form pwl)", at("weights"))

    fold = raw.get("fold", "auto")
    fold = {True: "on", False: "none"}.get(fold, fold) if isinstance(fold, bool) else fold
    fold = _choice(fold, "fold", FOLDS, at)  # YAML 1.1 reads an unquoted on/off as true/false

    name = raw["name"] if raw.get("name") is not None else _default_name(func, in_fmt, out_fmt)
    problem = _name_problem(name)
    if problem:
        raise ApproxgenError(f"name must be an identifier the emitted C and Verilog can use: "
                             f"{name!r} {problem}", at("name"))

    spec = Spec(name=name, function=func, input=in_fmt, output=out_fmt, domain=domain,
                form=form, segments=segments, slope_format=slope_fmt,
                intercept_format=intercept_fmt, search=search,
                search_options={str(k): v for k, v in options.items()}, objective=objective,
                seed=seed, max_error_lsb=max_err, weights=weights, max_bytes=max_bytes,
                fold=fold, bytes_target=_bytes_target(raw, at), keys=own, source=source)
    if fold == "on":
        from approxgen.forms.folded import plan

        reason = plan(spec)
        if isinstance(reason, str):
            raise ApproxgenError(f"cannot fold: {reason}", at("fold"))
    from approxgen.forms.ranged import spec_problem

    reason = spec_problem(spec)
    if reason:
        raise ApproxgenError(reason, at("range_reduction"))
    from approxgen.companion import problem as companion_problem

    reason = companion_problem(spec)
    if reason:
        raise ApproxgenError(reason, at("companion"))
    return spec


def default_form(raw: dict, source: str = "<flags>") -> Spec:
    """The spec ``raw`` names when it names no ``form``: the one place the default form is chosen.

    At most :data:`SMALL_INPUT_BITS` input bits, a correctly rounded table (the floor the metrics
    measure against: exact on every code) is also the fastest C kernel (``make bench-kernels``,
    x86-64 gcc -O2: the former default, pwl 8 folded, took 1.41x a plain 256-entry table's time
    per element). So there the default is the first of :data:`SMALL_INPUT_DEFAULTS` (the spec's
    own ``fold`` replacing theirs) whose bytes fit ``max_bytes`` as ``bytes_target`` counts
    them: the plain table first (its scalar function runs in less than half a folded one's
    time, 0.32 against 0.72 ns; the arrays alike, 0.32 ns), then the folded one (129 of 256 B
    at int8). A spec with a key those forms do not read (``segments``, ``search``: one written for
    the other default) or no table fits: :data:`DEFAULTS`' form, pwl (its refusal of a budget
    then says what the tables would take)."""
    candidates = SMALL_INPUT_DEFAULTS
    if "fold" in raw:
        candidates = ({**candidates[0], "fold": raw["fold"]},)
    fallback = {**raw, "form": DEFAULTS["form"]}
    given = {str(key) for key, value in raw.items() if value is not None}
    if any(given - form_keys(keys["form"]) for keys in candidates):
        return resolve(fallback, source)
    from approxgen.forms.folded import plan

    sizes = []  # (fold, bytes) of each table over the budget
    for keys in candidates:
        try:
            spec = resolve({**raw, **keys}, source)
        except ApproxgenError:  # the fallback says what is wrong
            break
        if spec.input.bits > SMALL_INPUT_BITS or sizes and isinstance(plan(spec), str):
            break  # too wide; or it folds nothing, so it is the table tried already
        size = None if spec.max_bytes is None else _counted_bytes(spec)
        if size is None or size <= spec.max_bytes:
            return spec
        sizes.append((spec.fold, size))
    try:
        return resolve(fallback, source)
    except ApproxgenError as exc:
        if not sizes or exc.where != where_of(source, "max_bytes"):
            raise
        tables = ", ".join(f"fold {fold}: {size} B" for fold, size in sizes)
        raise ApproxgenError(f"{exc.message}; the default table does not fit it ({tables})",
                             exc.where) from None


def _counted_bytes(spec: Spec) -> int:
    """The bytes ``max_bytes`` counts of the fit of ``spec`` (an unsegmented form: as it is)."""
    from approxgen.budget import counted_bytes
    from approxgen.forms import folded

    model, _ = folded.fit(spec, _forms.get(spec.form), progress=False)
    return counted_bytes(model, spec)


# At most this many segments (form, else "*"): a 16-bit fit at the cap takes about a minute.
MAX_SEGMENTS = {"*": 4096, "quadratic": 1024}
# The worst-case work of the swarm and genetic searches: candidates evaluated when no run ends
# early (patience), (restarts + 1) x size x steps. Each option's documented maximum alone (the
# others at their defaults) stays within it; all of them at once would run for days.
SEARCH_WORK = {"pso": ("particles", "iterations"), "ga": ("population", "generations")}
MAX_SEARCH_EVALUATIONS = 1 << 24


def _check_search_work(search: str, options: dict, at) -> None:
    if search not in SEARCH_WORK:
        return
    size, steps = SEARCH_WORK[search]
    work = (options["restarts"] + 1) * options[size] * options[steps]
    if work > MAX_SEARCH_EVALUATIONS:
        raise ApproxgenError(f"(restarts + 1) x {size} x {steps} = {work} candidate "
                             f"evaluations at worst, more than {MAX_SEARCH_EVALUATIONS} (hours "
                             f"of fitting); lower one of them", at("search_options"))


def _max_bytes(raw, form: str, segments, at) -> int | None:
    """``max_bytes``: a positive integer; a segmented form needs ``segments: auto`` with it (the
    budget picks the count)."""
    if raw.get("max_bytes") is None:
        return None
    value = _int(raw["max_bytes"], "max_bytes", at, 1, 1 << 40)
    if _forms.get(form).segmented and segments != "auto":
        raise ApproxgenError("max_bytes needs segments: auto (the budget picks the segment "
                             "count)", at("max_bytes"))
    return value


def _bytes_target(raw, at) -> str:
    """``bytes_target``: what ``max_bytes`` counts (:data:`approxgen.footprint.BYTES_TARGETS`)."""
    from approxgen.footprint import BYTES_TARGETS

    return _choice(raw.get("bytes_target", "tables"), "bytes_target", BYTES_TARGETS, at)


def _read_key(key, value, at):
    """A form's own ``key`` (:class:`approxgen.forms.Key`) from its raw ``value`` (None: absent,
    its default): one of its choices (words as given, integers as integers), an integer in
    its range, or with ``real`` a number in it (``unit`` named in the refusal)."""
    if value is None:
        return key.default
    if key.choices is not None:
        words = [c for c in key.choices if isinstance(c, str)]
        if value not in words and (type(value) is not int or value not in key.choices):
            *others, last = key.choices
            kind = " (an integer)" if len(words) < len(key.choices) else ""
            raise ApproxgenError(f"must be {', '.join(map(str, others))} or {last}{kind}, "
                                 f"got {value!r}", at(key.name))
        return value
    if key.real:
        number = _number(value, key.name, at)
        if not key.lo <= number <= key.hi:
            raise ApproxgenError(f"{key.name} must be between {key.lo:g} and {key.hi:g}"
                                 f"{f' ({key.unit})' if key.unit else ''}, got {number:g}",
                                 at(key.name))
        return float(number)
    return _int(value, key.name, at, key.lo, key.hi)


def _check_form_keys(raw: dict, form: str, at) -> None:
    """A key ``form`` does not read would be silently ignored: refuse it, naming the key and the
    forms that do read it."""
    stray = sorted(k for k, v in raw.items() if v is not None and str(k) not in form_keys(form))
    if stray:
        key = str(stray[0])
        readers = [f for f in FORMS if key in _forms.get(f).spec_keys]
        raise ApproxgenError(f"form {form} does not read {key} (a key of form "
                             f"{' and '.join(readers)}); remove it", at(key))


def _resolve_function(raw, at) -> functions.Function:
    has_fn, has_expr = raw.get("function") is not None, raw.get("expr") is not None
    if has_fn and has_expr:
        raise ApproxgenError("give function or expr, not both", at("expr"))
    if has_expr:
        return functions.from_expr(raw["expr"], at("expr"))
    if not has_fn:
        raise ApproxgenError("missing key: give function (a built-in) or expr", at("function"))
    if not isinstance(raw["function"], str):
        raise ApproxgenError(f"function must be a name, got {raw['function']!r}", at("function"))
    return functions.lookup(raw["function"], at("function"))


def _resolve_domain(raw, func, fmt: IntFormat, at) -> tuple[int, int]:
    if "domain" in raw and raw["domain"] is not None:
        lo, hi = _range(raw["domain"], "domain", at, point=True)
    elif func.domain is not None:
        lo, hi = func.domain
    else:
        return fmt.min_code, fmt.max_code
    edge = lambda v: min(max(v / fmt.scale, fmt.min_code - 1.0), fmt.max_code + 1.0)  # noqa: E731
    lo_code = max(fmt.min_code, math.ceil(edge(lo) - 1e-9))
    hi_code = min(fmt.max_code, math.floor(edge(hi) + 1e-9))
    if lo_code > hi_code:
        raise ApproxgenError(f"domain [{lo:g}, {hi:g}] holds no input code of {fmt.describe()}",
                             at("domain"))
    return lo_code, hi_code


def _coef_formats(value, at):
    if value is None or value == "auto":
        return None, None
    if isinstance(value, (str, int)):
        fmt = _coef_format(value, "coef_format", at)
        return fmt, fmt
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - {"slope", "intercept"})
        if unknown:
            raise ApproxgenError(f"unknown key {unknown[0]!r} (known: intercept, slope)",
                                 at(f"coef_format.{unknown[0]}"))
        return (_coef_format(value.get("slope", "auto"), "coef_format.slope", at),
                _coef_format(value.get("intercept", "auto"), "coef_format.intercept", at))
    raise ApproxgenError(f"coef_format must be 'auto', 'BITS:FRAC' or a mapping, got {value!r}",
                         at("coef_format"))


def _coef_format(value, key, at) -> CoefFormat | None:
    if value is None or value == "auto":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        raise ApproxgenError(f"got the number {value}: YAML reads an unquoted 8:6 as base 60; "
                             f"quote it, as in \"8:6\"", at(key))
    match = _COEF_RE.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise ApproxgenError(f"expected 'auto' or BITS:FRAC such as 8:6, got {value!r}", at(key))
    bits, frac = int(match.group(1)), int(match.group(2))
    if not COEF_BITS[0] <= bits <= COEF_BITS[1]:
        raise ApproxgenError(f"coefficient bits must be {COEF_BITS[0]}..{COEF_BITS[1]}, "
                             f"got {bits}", at(key))
    if not -32 <= frac <= 64:
        raise ApproxgenError(f"fraction bits must be -32..64, got {frac}", at(key))
    return CoefFormat(bits, frac)


SCALE_EXP = (-64, 64)  # a scale lies in 2^-64 .. 2^64: products and metrics stay finite floats


def _scale_in_range(scale: float, key: str, at) -> None:
    lo, hi = (math.ldexp(1.0, e) for e in SCALE_EXP)
    if not lo <= scale <= hi:
        raise ApproxgenError(f"scale {scale:g} is outside 2^{SCALE_EXP[0]}..2^{SCALE_EXP[1]}",
                             at(key))


def _check_shifts(slope_fmt, intercept_fmt, inp: IntFormat, out: IntFormat, at) -> None:
    """A fixed coef_format fixes the pipeline's shifts; refuse any beyond the int64 model."""
    if slope_fmt is None or inp.scale_exp is None or out.scale_exp is None:
        return
    from approxgen.forms import MAX_ACC_BITS

    shift = slope_fmt.frac - inp.scale_exp + out.scale_exp
    key = "coef_format.slope" if slope_fmt is not intercept_fmt else "coef_format"
    if shift > MAX_ACC_BITS:
        raise ApproxgenError(f"{slope_fmt} needs an output shift of {shift} bits, more than the "
                             f"{MAX_ACC_BITS} the integer pipeline allows; use fewer fraction "
                             f"bits", at(key))
    if intercept_fmt is not None and shift - out.scale_exp - intercept_fmt.frac > MAX_ACC_BITS:
        raise ApproxgenError(f"{intercept_fmt} needs an intercept shift over {MAX_ACC_BITS} bits; "
                             f"use more fraction bits", at("coef_format.intercept"))


def check_plain(value, key, at) -> None:
    """Only plain JSON-safe data: strings, booleans, null, bounded ints, finite floats, lists
    and mappings with string keys, nested at most 8 deep and holding at most 1000 items."""
    stack, count = [(value, key, 0)], 0
    while stack:
        item, path, level = stack.pop()
        count += 1
        if count > 1000 or level > 8:
            raise ApproxgenError("too large or too deeply nested", at(key))
        if isinstance(item, dict):
            for k, v in item.items():
                if not isinstance(k, str):
                    raise ApproxgenError(f"keys must be strings, got {k!r}", at(path))
                stack.append((v, f"{path}.{k}", level + 1))
        elif isinstance(item, list):
            stack.extend((v, path, level + 1) for v in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ApproxgenError(f"expected a finite number, got {item!r}", at(path))
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 1 << 63:
            raise ApproxgenError(f"integer {item} is too large", at(path))
        elif isinstance(item, str) and (len(item) > 400 or not item.isprintable()):
            raise ApproxgenError("strings must be short, printable and on one line", at(path))
        elif not (item is None or isinstance(item, (str, bool, int, float))):
            raise ApproxgenError(f"expected a number, string, list or mapping, got {item!r}",
                                 at(path))


def _default_name(func, inp: IntFormat, out: IntFormat) -> str:
    stem = "custom" if func.expr else func.name
    tag = lambda f: f"{'' if f.signed else 'u'}int{f.bits}"  # noqa: E731
    same = (inp.bits, inp.signed) == (out.bits, out.signed)
    return f"{stem}_{tag(inp)}" if same else f"{stem}_{tag(inp)}_{tag(out)}"


def _section(raw, key, allowed, at) -> dict:
    value = raw.get(key, {}) or {}
    if not isinstance(value, dict):
        raise ApproxgenError(f"{key} must be a mapping (bits, signed, scale, ...)", at(key))
    unknown = sorted(set(map(str, value)) - allowed)
    if unknown:
        raise ApproxgenError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})",
                             at(f"{key}.{unknown[0]}"))
    return value


def _int(value, key, at, lo, hi, what=None) -> int:
    """An integer in ``lo..hi``: a quoted string (``'8'``), a float (``64.0``) or a boolean is
    not one (the CLI turns its flags' digits into integers: :func:`flag_int`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        hint = " (a quoted string is not a number)" if isinstance(value, str) else ""
        raise ApproxgenError(f"expected an integer, got {value!r}{hint}", at(key))
    number = value
    if not lo <= number <= hi:
        bound = f"{lo}..{hi}" if what is None else f"{lo}..{hi} ({what})"
        raise ApproxgenError(f"must be in {bound}, got {number}", at(key))
    return number


def _number(value, key, at) -> float:
    if isinstance(value, bool):
        raise ApproxgenError(f"expected a number, got {value!r}", at(key))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ApproxgenError(f"expected a number, got {value!r}", at(key)) from None
    if not math.isfinite(number):
        raise ApproxgenError(f"expected a finite number, got {value!r}", at(key))
    return number


def _bool(value, key, at) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ApproxgenError(f"expected true or false, got {value!r}", at(key))


def _range(value, key, at, point: bool = False) -> tuple[float, float]:
    """``[lo, hi]`` with lo < hi (``point``: lo <= hi, a one-code domain)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ApproxgenError(f"expected [lo, hi], got {value!r}", at(key))
    lo, hi = (_number(v, key, at) for v in value)
    if not (lo <= hi if point else lo < hi):
        raise ApproxgenError(f"expected lo {'<=' if point else '<'} hi, got [{lo:g}, {hi:g}]",
                             at(key))
    return lo, hi


def _choice(value, key, choices, at) -> str:
    if value not in choices:
        raise ApproxgenError(f"must be one of {', '.join(choices)}, got {value!r}", at(key))
    return value


# --- the public parsing API of spec keys, for specs that are not function specs (blocks) -------
name_problem = _name_problem  # why a name cannot name the emitted code, or None
section = _section  # a mapping key with its allowed sub-keys
integer = _int  # an integer in lo..hi
number = _number  # a finite number
boolean = _bool  # true, false or null
choice = _choice  # one of the given words
