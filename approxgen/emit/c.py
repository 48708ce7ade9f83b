"""C99 emitter: one self-contained, integer-only header per fit (``templates/c/<form>.h.j2``).

The header computes exactly what the golden model (:mod:`approxgen.model`) computes, in portable C:

* ``pwl``: the intercept shift, the rounding offset ``2^(s-1)`` and a *bias* (a multiple of ``2^s``
  that makes every accumulator value non-negative) are folded into one offset per segment, so
  ``y = sat(((k_i*q + offset_i) >> s) - bias/2^s)``. The shift then never sees a negative value
  (right-shifting one is implementation-defined in C99) and nothing is ever left-shifted. The
  accumulator type (``int32_t`` or ``int64_t``) is chosen from the exact value ranges of
  :meth:`PwlModel.widths`; an accumulator that needs 33 signed bits only because the bias lifted
  it into ``0..2^32-1`` is computed modulo 2^32 in ``uint32_t`` instead (exact; the array variant
  keeps 32-bit lanes). Saturation is emitted only on sides the range can reach.
* The segment search of every segmented form (:data:`SEGMENT_SEARCHES`, ``auto`` picks by
  :func:`choose_segment_search`; one decoder, :func:`segment_context` and
  ``templates/c/_segment*.h.j2``, for pwl and quadratic):

  - ``chain``: a compare-and-mask chain accumulating the slope and offset steps of every breakpoint
    reached; branch-free, vectorized by GCC/Clang in the array variant, but O(K) per element
    (quadratic: a chain counting the breakpoints reached, then indexed loads). The pwl chain runs
    in 16-bit lanes where it can (:func:`lanes16`: slopes in ``int16_t``, ``r`` spanning fewer
    than 2^16 values over the codes, shift <= 16): 8 lanes per SSE2 vector and a 16x16-bit
    multiply, the 32-bit accumulator as two 16-bit halves, whatever its width.
  - ``bucket``: a small table indexed by the top input bits (:func:`bucket_plan`): each entry holds
    its bucket's first segment and the offsets of the (at most :data:`BUCKET_MAX_COMPARES`)
    breakpoints inside it, so the segment is one load and a compare per such breakpoint.
    Breakpoints on a power-of-two grid (``exact`` search above 10 input bits) need no compare.
  - ``binary``: a branch-free binary search, O(log K) loads, no extra memory.

  With ``bucket`` and ``binary`` the array variant runs in blocks of :data:`BLOCK`: the segment
  search and the coefficient loads (scalar), then the multiply, shift and saturation (vectorized);
  a pwl bucket decode takes :func:`lanes16`'s offsets where they apply (a 16x16-bit multiply, ``X``
  in 32-bit lanes; a folded whole fuses ``|q|`` and the reconstruction into it: ``folded_array``).
  The quadratic's array variant runs in blocks of :data:`BLOCK` with every search: the clamped
  code and its bucket (vectorized), the segment search and the coefficient loads (scalar), then
  Horner's rule (vectorized; in ``uint32_t`` lanes where exact: :func:`_quadratic_lanes`).
* ``table``: ``y = T[clamp(q, lo, hi) - lo]``.
* a folded fit (:mod:`approxgen.forms.folded`): the inner form's header body (rendered by
  ``FormC.c_context_on`` for the codes ``0..H`` it is ever called on), its function named
  ``NAME_half``, and ``NAME`` reconstructing the negative side from ``NAME_half(|q|)``, saturated
  only on the sides it reaches (:func:`_folded_range`). Its array variant runs in blocks of
  :data:`BLOCK`: ``|q|`` (vectorized), the half's own ``NAME_half_array``, the reconstruction
  (vectorized); so it works with any inner form through that signature alone. A form whose
  template defines the block ``folded_array`` renders the whole's array itself instead, given
  the reconstruction in 16-bit lanes (:func:`_fused_reconstruction`; interp does), and the table
  (its half read at ``|q|`` directly: no clamp, as fast as a plain table).
* A value of the input's C type that is no code of the format (a 12-bit format in ``int16_t``)
  is clamped to the code range first (:func:`_input_clamp`; the table form's clamp does the
  same), so it gets the nearest code's result and no table index or accumulator leaves the range
  the width analysis covers.
* Names: :func:`name_problem` says which fit names the header cannot take (C99/C11 and C++
  keywords, C library names, the header's own and derived names).
"""

from __future__ import annotations

import bisect
import fractions
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from approxgen import forms
from approxgen.emit import Option, cell as emit_cell
from approxgen.emit import check_name, derived_name_problem, environment, provenance
from approxgen.emit import block_provenance, programmable
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, signed_bits

SEGMENT_SEARCHES = ("auto", "chain", "bucket", "binary")
# The chain costs O(K) per element but vectorizes; the binary search costs O(log K) scalar work.
# Measured crossover (GCC 12, x86-64): ~50 segments with SSE2, >100 with AVX-512.
CHAIN_MAX_SEGMENTS = 48
# Up to this many segments, with a 32-bit accumulator, the vectorized chain is about as fast as a
# bucket table at -O2 on baseline x86-64 and faster with AVX2/AVX-512, with no table. A 64-bit
# accumulator does not vectorize with SSE2 (no 64-bit multiply): there a bucket table is faster
# (C benchmark, gelu int16 with 8 segments at -O2: 2.0 ns vs 4.0 ns per element).
CHAIN_PREFERRED_SEGMENTS = 8
# ``auto`` takes buckets of at least 2^6 codes: a table of at most a 64th of a full table's entries
# (int16: 1024); ``bucket`` asked for by name takes whatever width the breakpoints need.
BUCKET_MIN_WIDTH_BITS = 6
# Three thresholds of up to 17 bits and the segment index still fit one 64-bit entry.
BUCKET_MAX_COMPARES = 3
# decode_slack moves breakpoints to the 2^6-code grid from this many input bits on (below, a
# grid point every 64 codes leaves the breakpoints too little choice)
DECODER_GRID_MIN_BITS = 12
# The quadratic's chain only counts the breakpoints reached (its coefficients are then loaded by
# index, which does not vectorize at -O2), so a bucket table pays from fewer segments: GCC 12 -O2,
# x86-64, ns per element: int8 gelu 4 segments chain 1.4, one-compare buckets 1.7; 8 segments
# 2.3 vs 1.8; int16 gelu (aligned 64-code buckets: a 1 KiB table) 4 segments 1.3 vs 1.1 (not
# worth 1 KiB beside 62 bytes of coefficients), 8 segments 2.2 vs 1.2, 16 segments 4.9 vs 1.1.
QUADRATIC_CHAIN_SEGMENTS = 4
# A folded header saturates only the sides its reconstruction reaches, found by evaluating the
# half over every code up to this many codes a side (wider inputs: the width analysis's bounds).
EXACT_RANGE_CODES = 1 << 20
# Elements per block of the array variant: the header's macro APPROXGEN_BLOCK (64 where the
# compiler has a vector unit: a fixed trip count GCC -O2 vectorizes; 1 elsewhere: no scratch).
BLOCK = "APPROXGEN_BLOCK"

# --- the plug-in (approxgen.emit) ---------------------------------------------------------------
HELP = ("A standalone integer-only C99 header (--programmable: one kernel taking a pointer to "
        "a fit's coefficient set, and every fit's set). ")
OUTPUT_HELP = "Header to write (default: stdout)."
OPTIONS = (Option(
    "segment_search", "--segment-search", default="auto", choices=SEGMENT_SEARCHES,
    help="C, pwl and quadratic: how a code finds its segment. chain: compare-and-mask over "
         "every breakpoint (no extra memory, vectorizes, O(segments)); bucket: a small table on "
         "the top input bits, one load and a compare per breakpoint inside the code's bucket; "
         "binary: branch-free binary search. auto: chain up to 8 segments with a 32-bit "
         "accumulator (quadratic: up to 4, any accumulator), else bucket with buckets of at "
         "least 64 codes holding at most 3 breakpoints, else chain up to 48 segments, else "
         "binary."), Option(
    "export", "--export", default=False, is_flag=True,
    help="NAME and NAME_array as external, visible functions (not static inline): a C file to "
         "build into a shared library."))
VERIFIERS = {"c": "approxgen.verify:verify_c", "c++": "approxgen.verify:verify_c"}
BLOCK_VERIFIERS = {"c": "approxgen.verify_block:verify_c"}

# --- names: what a fit's name must not be (asked by approxgen.emit.name_problem) ----------------
TARGET = "C"
_C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic
    _Generic _Noreturn _Static_assert _Thread_local
    alignas alignof bool constexpr false nullptr static_assert thread_local true typeof
    typeof_unqual _BitInt _Decimal32 _Decimal64 _Decimal128 asm""".split())  # C23; GNU C: asm, typeof
_CXX_KEYWORDS = frozenset("""
    alignas alignof and and_eq asm bitand bitor bool catch char8_t char16_t char32_t class compl
    concept const_cast consteval constexpr constinit co_await co_return co_yield decltype delete
    dynamic_cast explicit export false final friend import module mutable namespace new noexcept
    not not_eq nullptr operator or or_eq override private protected public reflexpr
    reinterpret_cast requires static_assert static_cast std template this thread_local throw true
    try typeid typename using virtual wchar_t xor xor_eq""".split())
# What <stdint.h> and <stddef.h> (included by the header) and the standard headers a program
# including it commonly also includes (<stdio.h>, <stdlib.h>, <string.h>, <math.h>, <limits.h>,
# <stdbool.h>, <assert.h>, <errno.h>, <ctype.h>, <time.h>, <signal.h>, <setjmp.h>, <stdarg.h>)
# declare or define; the "_t" suffix and the INT*/UINT* macro families are rules (name_problem).
_C_LIBRARY = frozenset("""
    NULL offsetof SIZE_MAX PTRDIFF_MIN PTRDIFF_MAX SIG_ATOMIC_MIN SIG_ATOMIC_MAX WCHAR_MIN WCHAR_MAX
    WINT_MIN WINT_MAX CHAR_BIT SCHAR_MIN SCHAR_MAX UCHAR_MAX CHAR_MIN CHAR_MAX MB_LEN_MAX SHRT_MIN
    SHRT_MAX USHRT_MAX INT_MIN INT_MAX UINT_MAX LONG_MIN LONG_MAX ULONG_MAX LLONG_MIN LLONG_MAX
    ULLONG_MAX bool true false assert errno EDOM ERANGE EILSEQ EOF BUFSIZ FILENAME_MAX FOPEN_MAX
    L_tmpnam SEEK_CUR SEEK_END SEEK_SET TMP_MAX stdin stdout stderr FILE fpos_t remove rename
    tmpfile tmpnam fclose fflush fopen freopen setbuf setvbuf fprintf fscanf printf scanf snprintf
    sprintf sscanf vfprintf vfscanf vprintf vscanf vsnprintf vsprintf vsscanf fgetc fgets fputc
    fputs getc getchar gets putc putchar puts ungetc fread fwrite fgetpos fseek fsetpos ftell
    rewind clearerr feof ferror perror EXIT_FAILURE EXIT_SUCCESS RAND_MAX MB_CUR_MAX atof atoi
    atol atoll strtod strtof strtold strtol strtoll strtoul strtoull rand srand calloc free malloc
    realloc abort atexit exit _Exit getenv system bsearch qsort abs labs llabs div ldiv lldiv
    mblen mbtowc wctomb mbstowcs wcstombs memcpy memmove strcpy strncpy strcat strncat memcmp
    strcmp strcoll strncmp strxfrm memchr strchr strcspn strpbrk strrchr strspn strstr strtok
    memset strerror strlen HUGE_VAL HUGE_VALF HUGE_VALL INFINITY NAN FP_INFINITE FP_NAN FP_NORMAL
    FP_SUBNORMAL FP_ZERO FP_ILOGB0 FP_ILOGBNAN MATH_ERRNO MATH_ERREXCEPT math_errhandling
    fpclassify isfinite isinf isnan isnormal signbit acos asin atan atan2 cos sin tan acosh asinh
    atanh cosh sinh tanh exp exp2 expm1 frexp ilogb ldexp log log10 log1p log2 logb modf scalbn
    scalbln cbrt fabs hypot pow sqrt erf erfc lgamma tgamma ceil floor nearbyint rint lrint llrint
    round lround llround trunc fmod remainder remquo copysign nan nextafter nexttoward fdim fmax
    fmin fma isgreater isgreaterequal isless islessequal islessgreater isunordered isalnum isalpha
    isblank iscntrl isdigit isgraph islower isprint ispunct isspace isupper isxdigit tolower
    toupper clock difftime mktime time asctime ctime gmtime localtime strftime CLOCKS_PER_SEC
    signal raise SIGABRT SIGFPE SIGILL SIGINT SIGSEGV SIGTERM SIG_DFL SIG_ERR SIG_IGN setjmp longjmp
    jmp_buf va_start va_arg va_end va_copy va_list main
    complex imaginary I _Complex_I _Imaginary_I CMPLX CMPLXF CMPLXL""".split())  # <complex.h> macros
# The header's own names: its macros, the locals and parameters of its functions.
_C_HEADER = frozenset("""
    APPROXGEN_INLINE x y n q k c m r i j s e o u blocks_end""".split())
RESERVED = _C_KEYWORDS | _CXX_KEYWORDS | _C_LIBRARY | _C_HEADER
# NAME_<suffix> are the header's derived names: a fit named like one would collide with another's.
DERIVED_SUFFIXES = ("_array", "_breakpoints", "_buckets", "_slopes", "_offsets", "_affine",
                    "_segment", "_eval", "_code", "_values", "_nodes", "_regions", "_half",
                    "_origins", "_coef_a", "_coef_b", "_coef_c", "_arith", "_arith_fixed",
                    "_locate", "_saturate", "_masked", "_segment_at", "_eval_lanes")
_INT_MACRO_RE = re.compile(r"U?INT\w*_(MIN|MAX|C)")  # C99 7.26.8: reserved for <stdint.h>


def name_problem(name: str) -> str | None:
    """Why ``name`` would break the C header (and its use from C++), or ``None``: a C99/C11/C23,
    GNU C (``typeof``, ``asm``) or C++ keyword, reserved by C (a leading underscore, ``*_t`` types,
    ``INT*_MAX``-like macros) or C++ (a double underscore anywhere), a
    standard library name, one of the header's own names or prefixes (``APPROXGEN_``, the
    ``ag_`` of :mod:`approxgen.verify`'s harness), or a derived name of another fit."""
    if name in _C_KEYWORDS or name in _CXX_KEYWORDS:
        return f"is a keyword of {'C' if name in _C_KEYWORDS else 'C++'}"
    if name.startswith("_"):
        return "starts with an underscore (reserved in C)"
    if "__" in name:
        return "holds a double underscore (reserved in C++)"
    if name.endswith("_t") or _INT_MACRO_RE.fullmatch(name):
        return "is reserved by the C standard (type names end in _t; INT*_MAX-like macros)"
    if name in _C_LIBRARY:
        return "is a name the C standard library declares"
    if name in _C_HEADER or name.upper().startswith("APPROXGEN") or name.startswith("ag_"):
        return "is a name the C header or its test harness uses itself"
    return derived_name_problem(name, DERIVED_SUFFIXES,
                                "the C header of a fit named {base} defines")


@dataclass(frozen=True)
class BucketPlan:
    """Buckets of ``2^width_bits`` input codes, indexed by ``(q - min_code) >> width_bits``.
    ``first[j]`` is the segment of bucket j's first code; ``thresholds[j]`` the offsets inside the
    bucket of its breakpoints that are not at its start, ascending, padded with ``2^width_bits``
    to :attr:`compares` entries. The segment of offset ``o`` in bucket j is ``first[j]`` plus the
    number of thresholds ``<= o``."""

    width_bits: int
    first: tuple[int, ...]
    thresholds: tuple[tuple[int, ...], ...]

    @property
    def compares(self) -> int:
        """Compares per element: 0 when every breakpoint starts a bucket (aligned)."""
        return len(self.thresholds[0])

    @property
    def aligned(self) -> bool:
        return self.compares == 0


def bucket_plan(model, min_width_bits: int = 0,
                codes: tuple[int, int] | None = None) -> BucketPlan | None:
    """Buckets of at least ``2^min_width_bits`` codes for a pwl ``model``: aligned ones
    (every breakpoint starts a bucket: no compare) when the breakpoints lie on a grid of at least
    ``2^BUCKET_MIN_WIDTH_BITS`` codes, else the widest holding at most one breakpoint each apart
    from their first code, else at most two, ... up to :data:`BUCKET_MAX_COMPARES`; ``None`` when
    even the narrowest allowed buckets hold more. ``codes``: the only input codes ever looked up
    (``lo, hi``, ``lo`` the input's least code; a folded half: ``0..2^(n-1)``), default every
    code: the table covers them alone, and breakpoints beyond ``hi`` are never reached."""
    bits, lo = model.input.bits, model.input.min_code
    last = (codes[1] if codes else model.input.max_code) - lo
    offsets = [b - lo for b in model.breakpoints if b - lo <= last]
    grid = min([bits, *((o & -o).bit_length() - 1 for o in offsets)])  # trailing zero bits
    if grid >= max(min_width_bits, min(bits, BUCKET_MIN_WIDTH_BITS)):
        return _plan(offsets, last, grid)
    for compares in range(1, BUCKET_MAX_COMPARES + 1):
        for width_bits in range(bits, min_width_bits - 1, -1):
            inner = Counter(o >> width_bits for o in offsets if o % (1 << width_bits))
            if max(inner.values(), default=0) <= compares:
                return _plan(offsets, last, width_bits)
    return None


def _plan(offsets: list[int], last: int, width_bits: int) -> BucketPlan:
    """The buckets of ``2^width_bits`` codes covering the offsets ``0..last``."""
    size = 1 << width_bits
    starts = range(0, last + 1, size)
    inner = [[] for _ in starts]
    for o in offsets:
        if o % size:
            inner[o >> width_bits].append(o % size)
    compares = max(map(len, inner))
    return BucketPlan(width_bits, tuple(bisect.bisect_right(offsets, start) for start in starts),
                      tuple(tuple(t + [size] * (compares - len(t))) for t in inner))


def choose_segment_search(model, wide: bool = False,
                          chain_preferred: int = CHAIN_PREFERRED_SEGMENTS,
                          codes: tuple[int, int] | None = None
                          ) -> tuple[str, BucketPlan | None]:
    """``auto``: the chain up to ``chain_preferred`` segments (unless the accumulator is ``wide``,
    64-bit), else a small bucket table when the breakpoints allow one (over ``codes``, see
    :func:`bucket_plan`), else the chain up to :data:`CHAIN_MAX_SEGMENTS` segments, else the
    binary search."""
    if model.segments <= chain_preferred and not wide:
        return "chain", None
    plan = bucket_plan(model, min(model.input.bits, BUCKET_MIN_WIDTH_BITS), codes)
    if plan is not None:
        return "bucket", plan
    return ("chain" if model.segments <= CHAIN_MAX_SEGMENTS else "binary"), None


def decoder_grid(fmt: IntFormat, segments: int) -> int | None:
    """The codes between the grid points (from ``fmt``'s least code) on which breakpoints give
    the ``auto`` segment decoder an aligned bucket table (no compare), or None where it needs no
    grid: up to :data:`CHAIN_PREFERRED_SEGMENTS` segments (the chain) or inputs of at most
    :data:`DECODER_GRID_MIN_BITS` bits (buckets of 2^6 codes would hold too few)."""
    if segments <= CHAIN_PREFERRED_SEGMENTS or fmt.bits < DECODER_GRID_MIN_BITS:
        return None
    return 1 << BUCKET_MIN_WIDTH_BITS


def render(fit, segment_search: str = "auto", export: bool = False) -> str:
    """The C header of ``fit`` (deterministic: the same fit gives the same bytes).
    ``segment_search`` (segmented forms; the others ignore it): one of :data:`SEGMENT_SEARCHES`.
    ``export``: :func:`exported` (a translation unit for a shared library)."""
    if export:
        header, name = render(fit, segment_search), fit.spec.name
        companion = fit.spec.companion
        return exported(header, name, () if companion in (None, "none") else
                        (f"{name}_{companion}",))
    source = getattr(fit, "companion_of", None)  # a companion (approxgen.companion): its header
    if source is not None:
        return render(source, segment_search)
    model = fit.model
    context = _common_context(fit)
    if segment_search not in SEGMENT_SEARCHES:
        raise ApproxgenError(f"unknown segment search {segment_search!r} "
                             f"(one of {', '.join(SEGMENT_SEARCHES)})", "--segment-search")
    form = cell(forms.of(model))
    context.update(form.c_context(model, segment_search))
    header = environment().get_template(form.c_template()).render(**context)
    return with_companion(header, model, fit.spec.companion, context["name"])


_CLOSING = "#ifdef __cplusplus\n}\n#endif\n"


def with_companion(header: str, model, companion: str | None, name: str) -> str:
    """``header`` (of ``model``, its function ``name``) with the functions of ``companion``
    (:mod:`approxgen.companion`; ``none``/None: unchanged) before its closing C++ linkage:
    ``templates/c/companion_NAME.h.j2``."""
    from approxgen.companion import NONE, CompanionModel

    if companion in (None, NONE):
        return header
    pair = CompanionModel(companion, model)
    lo, hi = pair.range()
    inp, out = model.input, model.output
    context = {"name": name, "companion": companion, "k": pair.k,
               "sum_offset": literal(2 * pair.k + 2 + pair.bias), "bias4": pair.bias // 4,
               "sat_lo": lo < out.min_code, "sat_hi": hi > out.max_code,
               "clamp": _input_clamp(inp), "half_min": _macro(inp.min_code // 2),
               "input": _format_context(inp), "output": _format_context(out),
               "I": ctype(inp.bits, inp.signed), "O": ctype(out.bits, out.signed)}
    code = environment().get_template(f"c/companion_{companion}.h.j2").render(**context)
    at = header.rindex(_CLOSING)
    return header[:at] + code + header[at:]


EXPORT_MACRO = """/* Exported build (emit c --export): {name} and {name}_array are external, visible functions;
 * compile this file as C into a shared library (cc -O2 -shared -fPIC). The rest stays static. */
#ifndef APPROXGEN_API
#if defined(_WIN32)
#define APPROXGEN_API __declspec(dllexport)
#elif defined(__GNUC__)
#define APPROXGEN_API __attribute__((visibility("default")))
#else
#define APPROXGEN_API
#endif
#endif

"""
_LINKAGE = '#ifdef __cplusplus\nextern "C" {\n#endif\n'


def exported(header: str, name: str, companions: tuple[str, ...] = ()) -> str:
    """``header`` with its two entry points, ``name`` and ``name_array`` (every form defines
    exactly these, each once at the start of a line), and those of its ``companions``
    (``NAME_sigmoid``: :func:`with_companion`), made external ``APPROXGEN_API`` functions
    instead of ``static inline``; everything else unchanged."""
    out, count = header, 0
    for entry in (name, *companions):
        out, found = re.subn(rf"^static inline (\w+) ({entry}(?:_array)?)\(",
                             r"APPROXGEN_API \1 \2(", out, flags=re.M)
        count += found
    if count != 2 * (1 + len(companions)) or out.count(_LINKAGE) != 1:
        raise ApproxgenError(f"cannot export {name}: its header defines {count} entry points, "
                             f"not {2 * (1 + len(companions))} ({name} and {name}_array"
                             f"{''.join(f', {c}, {c}_array' for c in companions)})")
    return out.replace(_LINKAGE, EXPORT_MACRO.format(name=name) + _LINKAGE)


MULTI_FIT = programmable.C_UNIT  # emit c A.json B.json --programmable: one kernel, every set
BUILD_FILES = ((".h", render),)  # approxgen build: NAME.h
BLOCK_SUFFIX = ".h"  # approxgen build of a block spec: NAME.h (render_block)


def render_block(block) -> str:
    """The C header of a block (:mod:`approxgen.blocks`): ``templates/c/<block>.h.j2``, the
    function ``NAME(const intN_t *x, intM_t *y, size_t n)`` over one row."""
    name, context = block.name, block.c_context()
    context.update({key: render_model(model, name=inner)
                    for key, (model, inner) in block.inner_models().items()})
    context.update({"name": name, "macro": name.upper(), "guard": f"APPROXGEN_{name.upper()}_H",
                    "provenance": block_provenance(block),
                    "input": _format_context(block.input),
                    "output": _format_context(block.output)})
    return environment().get_template(f"c/{block.kind}.h.j2").render(**context)


_C_TYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4,
                 "uint32_t": 4, "int64_t": 8, "uint64_t": 8}
_TABLE_RE = re.compile(r"^static const (\w+) \w+\[(\d+)\]", re.M)


def header_table_bytes(header: str) -> int:
    """Bytes of a C header's ``static const`` tables (what it adds to .rodata)."""
    return sum(_C_TYPE_BYTES[ctype] * int(n) for ctype, n in _TABLE_RE.findall(header))


def render_model(model, segment_search: str = "auto", name: str = "t",
                 companion: str | None = None) -> str:
    """The header of ``model`` alone (no spec: no provenance), its function named ``name``,
    with the functions of ``companion`` (:func:`with_companion`)."""
    form = cell(forms.of(model))
    context = {"name": name, "macro": name.upper(), "guard": f"{name.upper()}_H",
               "provenance": [], "input": _format_context(model.input),
               "output": _format_context(model.output)}
    context.update(form.c_context(model, segment_search))
    header = environment().get_template(form.c_template()).render(**context)
    return with_companion(header, model, companion, name)


def table_bytes(model, segment_search: str = "auto") -> int:
    """Bytes of the ``static const`` tables the header of ``model`` ships (rendered, counted)."""
    return header_table_bytes(render_model(model, segment_search))


def ctype(bits: int, signed: bool) -> str:
    """The narrowest ``<stdint.h>`` type holding ``bits``-bit codes (``int8_t``, ``uint16_t``)."""
    for width in (8, 16, 32, 64):
        if bits <= width:
            return f"{'' if signed else 'u'}int{width}_t"
    raise ApproxgenError(f"no C integer type holds {bits} bits")


def narrowest_ctype(lo: int, hi: int, fmt: IntFormat) -> str:
    """The type of ``fmt``'s codes, or a narrower ``<stdint.h>`` type (signed or not) holding
    every value of ``[lo, hi]``."""
    own = ctype(fmt.bits, fmt.signed)
    for width in (8, 16, 32):
        for signed in (True, False):
            low, high = ctype_range(width, signed)
            if low <= lo and hi <= high and width < int(own.lstrip("u")[3:-2]):
                return ctype(width, signed)
    return own


def ctype_range(bits: int, signed: bool) -> tuple[int, int]:
    """The smallest and largest value of :func:`ctype` ``(bits, signed)``."""
    width = int(ctype(bits, signed).lstrip("u")[3:-2])
    return (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)


def literal(value: int) -> str:
    """A C integer constant expression for ``value`` (``-5``, ``INT64_C(5000000000)``).

    ``-2^31`` and ``-2^63`` are written as ``(-(2^k - 1) - 1)`` so that they keep a signed type of
    their own width; magnitudes beyond 32 bits get ``INT64_C`` (64-bit on every target).
    """
    if value in (-(1 << 31), -(1 << 63)):
        return f"({literal(value + 1)} - 1)"
    if value < 0:
        return f"-{literal(-value)}"
    return f"INT64_C({value})" if value >= 1 << 31 else str(value)


def _macro(value: int) -> str:
    """``literal`` safe to paste into any expression (negative values in parentheses)."""
    text = literal(value)
    return f"({text})" if text.startswith("-") else text


def _signed_ctype(lo: int, hi: int) -> str:
    return ctype(signed_bits(lo, hi), True)


def _format_context(fmt: IntFormat) -> dict:
    exp = fmt.scale_exp
    num, den = (exp is None and scale_ratio(fmt.scale)) or (None, None)
    return {"bits": fmt.bits, "signed": int(fmt.signed), "min": _macro(fmt.min_code),
            "max": _macro(fmt.max_code), "type": ctype(fmt.bits, fmt.signed),
            "scale_exp": None if exp is None else _macro(exp), "scale": repr(fmt.scale),
            "scale_num": None if num is None else literal(num),
            "scale_den": None if den is None else literal(den)}


def scale_ratio(scale: float) -> tuple[int, int] | None:
    """Integers ``(num, den)`` with ``(double)num / (double)den == scale`` bit for bit, both at
    most 2^53 (exact in a double): the shortest decimal (``0.1`` -> 1/10), else the closest
    fraction with such a denominator; else the exact ``m / 2^k`` (k <= 62); else None."""
    limit = 1 << 53
    for ratio in (fractions.Fraction(repr(scale)),
                  fractions.Fraction(scale).limit_denominator(limit)):
        if 0 < ratio.numerator <= limit and ratio.denominator <= limit \
                and ratio.numerator / ratio.denominator == scale:
            return ratio.numerator, ratio.denominator
    exact = fractions.Fraction(scale)
    if exact.numerator < 1 << 62 and exact.denominator <= 1 << 62:
        return exact.numerator, exact.denominator
    return None


def _common_context(fit) -> dict:
    name = check_name(fit)
    return {
        "name": name,
        "macro": name.upper(),
        "guard": f"APPROXGEN_{name.upper()}_H",
        "provenance": provenance(fit),
        "input": _format_context(fit.spec.input),
        "output": _format_context(fit.spec.output),
    }


def pwl_context(model, segment_search: str, codes: tuple[int, int] | None = None) -> dict:
    """The pwl header's context: types from the exact value ranges, the segment search.
    ``codes``: the input codes the header is ever evaluated on (a folded half: ``0..2^(n-1)``),
    default every code of the input format; beyond them its functions are unspecified."""
    codes = codes or (model.input.min_code, model.input.max_code)
    s = model.shift
    w = model.widths()
    # The smallest multiple of 2^s lifting the accumulator's lower bound to >= 0 (no shift: none).
    bias = (max(0, -w.acc_min) + (1 << s) - 1) >> s << s if s else 0
    offsets = [c + bias for c in model.offsets()]
    slopes = list(model.slopes)
    steps = [b - a for seq in (slopes, offsets) for a, b in zip(seq, seq[1:])]
    shifted_lo, shifted_hi = w.acc_min >> s, w.acc_max >> s  # r = acc >> s before saturation
    values = [w.product_min, w.product_max, w.acc_min + bias, w.acc_max + bias, *offsets, *slopes,
              *steps, model.input.min_code, model.input.max_code, shifted_lo, shifted_hi,
              model.input.max_code - model.input.min_code]
    acc_bits = signed_bits(min(values), max(values))
    if acc_bits > 64:
        raise ApproxgenError(f"the C accumulator would need {acc_bits} bits (more than 64)")
    acc_type = "int32_t" if acc_bits <= 32 and s < 32 else "int64_t"
    # Only the accumulator needs more than 32 signed bits, but it lies in 0..2^32-1 (the bias
    # lifted it): computed modulo 2^32 in uint32_t (products and offsets wrap) it is exact, and
    # its shift fits int32_t, so the array variant still vectorizes with 32-bit lanes (SSE2 has
    # no 64-bit multiply).
    others = [*offsets, *slopes, *steps, model.input.min_code, model.input.max_code,
              shifted_lo, shifted_hi, model.input.max_code - model.input.min_code, 0]
    acc32 = (acc_type == "int64_t" and 1 <= s < 32 and w.acc_max + bias < 1 << 32
             and signed_bits(min(others), max(others)) <= 32)
    lanes = lanes16(model, codes)
    # acc32: the search chosen as for the 64-bit accumulator it replaces (the same tables); the
    # chain in 16-bit lanes never needs a wide accumulator
    search = segment_context(model, segment_search, wide=acc_type == "int64_t" and lanes is None,
                             codes=codes)
    return {
        "segments": model.segments,
        "breakpoints": [literal(b) for b in model.breakpoints],
        "slopes": [literal(k) for k in slopes],
        "slope_type": _signed_ctype(min(slopes), max(slopes)),
        "offsets": [literal(c) for c in offsets],
        "offset_type": _signed_ctype(min(offsets), max(offsets)),
        "shift": s,
        "intercept_shift": model.intercept_shift,
        "formula": (f"((k_i * q + offsets[i]) >> {s}) - {bias >> s}" if s
                    else "k_i * q + offsets[i]"),
        "rounding": (1 << (s - 1)) if s else 0,
        "bias": literal(bias),
        "unbias": literal(bias >> s),
        "acc_type": "int32_t" if acc32 else acc_type,
        "acc_bits": acc_bits,
        "acc32": acc32,
        "clamp_lo": shifted_lo < model.output.min_code,
        "clamp_hi": shifted_hi > model.output.max_code,
        **search,
        "block": BLOCK,
        "clamp_input": _clamp_to(model.input, codes),
        "lanes16": lanes if search["search"] in ("chain", "none") else None,
        # the bucket decode with the same 16-bit lanes arithmetic (the array's last pass)
        "bucket_lanes": lanes if search["search"] == "bucket" else None,
        # codes narrower than the input format's (a folded half): its functions take those only
        "domain": (f"{codes[0]}..{codes[1]}"
                   if codes != (model.input.min_code, model.input.max_code) else None),
    }


def lanes16(model, codes: tuple[int, int]) -> dict | None:
    """The pwl chain in 16-bit lanes (8 per SSE2 vector, and 16x16-bit multiplies, which SSE2
    has), or ``None`` where it does not apply. Over the codes ``lo..hi`` (at most 2^16 of them)
    the code enters as ``t = q - O``, an ``int16_t`` (``O``: 0 when every code fits, else
    ``lo + 2^15``), and segment i computes ``X = k_i*t + C_i`` with ``C_i = offset_i + k_i*O -
    rmin*2^s``: ``X`` is the accumulator lifted by ``-rmin*2^s`` (``rmin``/``rmax``: the least and
    the largest ``r = acc >> s`` over the codes, exact at the segments' ends). It lies in
    ``0..2^(16+s)-1`` when ``rmax - rmin < 2^16``, so with ``s <= 16`` it is exact modulo 2^32,
    computed as two 16-bit halves (the product's by a 16x16 multiply, ``C_i`` split into ``C_i >>
    16`` and ``C_i mod 2^16``, one carry), and ``v = X >> s = r - rmin`` fits ``uint16_t``. Needs
    every reachable slope in ``int16_t``; each chain step then lands on a segment's coefficients,
    so every intermediate is a value of its type."""
    lo, hi = codes
    s = model.shift
    edges = [model.input.min_code, *model.breakpoints, model.input.max_code + 1]
    first = bisect.bisect_right(model.breakpoints, lo)
    last = bisect.bisect_right(model.breakpoints, hi)
    reach = range(first, last + 1)
    offsets = model.offsets()
    if hi - lo > 0xFFFF or s > 16 or any(not -(1 << 15) <= model.slopes[i] < 1 << 15
                                          for i in reach):
        return None
    ends = [(model.slopes[i], offsets[i], q) for i in reach
            for q in (max(lo, edges[i]), min(hi, edges[i + 1] - 1))]
    r = [(k * q + c) >> s for k, c, q in ends]
    rmin, rmax = min(r), max(r)
    if rmax - rmin > 0xFFFF or not -(1 << 31) < rmin <= rmax < 1 << 31:
        return None
    origin = 0 if -(1 << 15) <= lo and hi < 1 << 15 else lo + (1 << 15)
    high = (rmax - rmin + 1) << s > 1 << 16  # X < 2^(16+s); below 2^16 its low half is X
    lifted = [(c + k * origin - (rmin << s)) % (1 << (32 if high else 16))
              for k, c in zip(model.slopes, offsets)]
    out = model.output
    return {
        "origin": literal(origin), "last": last, "codes": f"{lo}..{hi}",
        "offsets": [f"{c}u" for c in lifted], "rmin": literal(rmin),
        "unshift": f" - {-rmin}" if rmin < 0 else f" + {rmin}" if rmin else "",
        # from the last segment reached down: s < breakpoint is one signed compare in SSE2
        "steps": [{"i": i, "b": literal(model.breakpoints[i] - origin),
                   "dk": literal(model.slopes[i] - model.slopes[i + 1]),
                   "dc": literal((lifted[i] >> 16) - (lifted[i + 1] >> 16)),
                   "de": literal((lifted[i] & 0xFFFF) - (lifted[i + 1] & 0xFFFF))}
                  for i in range(last - 1, first - 1, -1)],
        "high": high, "offset_type": "uint32_t" if high else "uint16_t",
        "modulus": 32 if high else 16,
        "x_bits": (((rmax - rmin + 1) << s) - 1).bit_length(),
        # saturation where r leaves the output's codes, on v = r - rmin (unsigned)
        "sat_lo": out.min_code - rmin if rmin < out.min_code else None,
        "sat_hi": out.max_code - rmin if rmax > out.max_code else None,
        "segments": last - first + 1,
        "first": first,
    }


def segment_context(model, segment_search: str, wide: bool,
                    chain_preferred: int = CHAIN_PREFERRED_SEGMENTS,
                    codes: tuple[int, int] | None = None, compact: bool = False) -> dict:
    """The segment decoder of a segmented form's header (``templates/c/_segment_table.h.j2``,
    ``_segment.h.j2``): the search (``none`` for one segment; ``auto``:
    :func:`choose_segment_search` with the form's ``wide`` and ``chain_preferred``), the binary
    search's steps and the bucket table. ``model`` needs ``input``, ``segments`` and
    ``breakpoints``. ``compact``: a form whose header stores its breakpoints anyway (as the
    origins ``NAME_origins`` of its segments, padded past the domain) gets bucket entries
    holding only the first segment, compared with those (:func:`compact_plan`), with
    ``auto`` (``bucket`` by name: the entries carry the thresholds, one load fewer)."""
    compact = compact and segment_search == "auto"
    if model.segments == 1:
        search, plan = "none", None
    elif segment_search == "auto":
        search, plan = choose_segment_search(model, wide, chain_preferred, codes)
        if search == "bucket" and compact:
            plan = compact_plan(model, codes) or plan
    else:
        search = segment_search
        plan = bucket_plan(model, 0, codes) if segment_search == "bucket" else None
    return {"search": search,
            "halves": _halves(len(model.breakpoints)) if search == "binary" else [],
            "bucket": _bucket_context(plan, model, compact) if plan else None}


# Compact bucket entries (the segment alone) take the widest buckets holding at most this many
# breakpoints besides their first code: a compare costs no entry bits, a bucket one byte or two.
COMPACT_BUCKET_COMPARES = 2


def compact_plan(model, codes: tuple[int, int] | None) -> BucketPlan | None:
    """The widest buckets of at least ``2^BUCKET_MIN_WIDTH_BITS`` codes holding at most
    :data:`COMPACT_BUCKET_COMPARES` breakpoints each besides their first code (None: none)."""
    bits, lo = model.input.bits, model.input.min_code
    last = (codes[1] if codes else model.input.max_code) - lo
    offsets = [b - lo for b in model.breakpoints if b - lo <= last]
    for width_bits in range(bits, min(bits, BUCKET_MIN_WIDTH_BITS) - 1, -1):
        inner = Counter(o >> width_bits for o in offsets if o % (1 << width_bits))
        if max(inner.values(), default=0) <= COMPACT_BUCKET_COMPARES:
            return _plan(offsets, last, width_bits)
    return None


def _bucket_context(plan: BucketPlan, model, compact: bool = False) -> dict:
    """The bucket table as C: entry ``first | t_1 << b | t_2 << (b + w + 1) | ...`` (``b`` bits
    for the segment, ``w + 1`` per threshold) in the narrowest unsigned type, and the expression
    that decodes it; ``compact``: the entry is ``first`` alone (the template compares ``q``
    with the segments' origins)."""
    segment_bits = max(1, (model.segments - 1).bit_length())
    field = plan.width_bits + 1  # a threshold is 1 .. 2^w
    entries = [f | (0 if compact else sum(t << (segment_bits + i * field)
                                          for i, t in enumerate(ts)))
               for f, ts in zip(plan.first, plan.thresholds)]
    entry_type = ctype(segment_bits + (0 if compact else plan.compares * field), False)
    terms = [f"(unsigned)(e & {(1 << segment_bits) - 1}u)"] if plan.compares else ["(unsigned)e"]
    for i in range(plan.compares):
        shifted = f"(e >> {segment_bits + i * field})"
        if i < plan.compares - 1:
            shifted = f"({shifted} & {(1 << field) - 1}u)"
        terms.append(f"(unsigned)(o >= {shifted})")
    return {
        "width_bits": plan.width_bits,
        "compares": plan.compares,
        "compares_text": ("", "one compare", "two compares", "three compares")[plan.compares],
        "entries": [str(e) for e in entries],
        "type": entry_type,
        "entry_var_type": entry_type if entry_type in ("uint32_t", "uint64_t") else "unsigned",
        "segment_bits": segment_bits,
        "field_bits": field,
        "offset_mask": (1 << plan.width_bits) - 1,
        "min": _macro(model.input.min_code),
        # u < 2^bits: the input is clamped to its codes first (see _input_clamp)
        "index": f"u >> {plan.width_bits}" if len(entries) > 1 else "0",
        "decode": (" + " if len(terms) <= 2 else "\n        + ").join(terms),
        "compact": compact,
    }


def _halves(n: int) -> list[int]:
    """Steps of the branch-free binary search over ``n`` sorted breakpoints (n >= 1)."""
    steps = []
    while n > 1:
        steps.append(n // 2)
        n -= n // 2
    return steps


def _holds_stray_codes(fmt: IntFormat) -> bool:
    """The C input type holds values that are no code of ``fmt`` (a 12-bit format in int16_t)."""
    return ctype_range(fmt.bits, fmt.signed) != (fmt.min_code, fmt.max_code)


def _clamp_to(fmt: IntFormat, codes: tuple[int, int]) -> dict | None:
    """:func:`_input_clamp` with the bounds (``min``, ``max``) to clamp to: the codes ``codes``
    a header is evaluated on (a folded half's ``0..2^(n-1)``: any other value of its input type
    would index past its tables), else the format's."""
    clamp = _input_clamp(fmt)
    if codes == (fmt.min_code, fmt.max_code):
        return clamp and {**clamp, "min": fmt.min_code, "max": fmt.max_code}
    return {"lo": codes[0] > fmt.min_code or bool(clamp and clamp["lo"]),
            "min": codes[0], "max": codes[1]}


def _input_clamp(fmt: IntFormat) -> dict | None:
    """pwl: where the C input type holds values that are no code of ``fmt``, they are clamped to
    the code range (``lo``: also from below) before any lookup or arithmetic, so their result is
    the nearest code's: no read outside a table and no accumulator overflow (the accumulator's
    type is chosen for the codes only). ``None`` when every value is a code."""
    if not _holds_stray_codes(fmt):
        return None
    return {"lo": fmt.signed}


def _floor_bias(lo: int, shift: int) -> int:
    """The smallest multiple of ``2^shift`` lifting ``lo`` to >= 0 (0 without a shift)."""
    return (max(0, -lo) + (1 << shift) - 1) >> shift << shift if shift else 0


def _quadratic_lanes(w, bias1: int, bias2: int, s: int, s1: int) -> str | None:
    """The type of the quadratic array's final sum when its Horner's rule runs modulo 2^32 in
    ``uint32_t`` lanes (SSE2 has no 64-bit multiply): ``uint32_t`` where both floor shifts see
    values in 0..2^32-1 (exact), ``uint64_t`` where only the sum does not (the product h * d
    does); ``None`` where neither holds."""
    if not (0 <= w.p1[0] + bias1 and w.p1[1] + bias1 < 1 << 32 and s < 32 and s1 < 32):
        return None
    if w.acc[1] + bias2 < 1 << 32:
        return "uint32_t"
    return "uint64_t" if 0 <= w.p2[0] and w.p2[1] < 1 << 32 else None


def quadratic_context(model, segment_search: str) -> dict:
    """The quadratic header's context: both floor shifts see only values >= 0 (biases folded into
    the b and c tables), and one type, int32_t or int64_t, holds every intermediate."""
    w = model.widths()
    s, s1 = model.shift, model.inner_shift
    bias1, bias2 = _floor_bias(w.p1[0], s1), _floor_bias(w.acc[0], s)
    b = [v - (bias1 >> s1) for v in model.b]
    c = [v + bias2 for v in model.offsets()]
    inp = model.input
    values = [w.p1[0] + bias1, w.p1[1] + bias1, *w.h, *w.p2, w.acc[0] + bias2, w.acc[1] + bias2,
              *b, *c, *model.a, w.shifted[0], w.shifted[1], inp.min_code, inp.max_code,
              model.lo_code - inp.max_code, model.hi_code - inp.min_code]
    acc_bits = signed_bits(min(values), max(values))
    if acc_bits > 64:
        raise ApproxgenError(f"the C accumulator would need {acc_bits} bits (more than 64)")
    # compact bucket entries compare q with the origins, padded with hi + 1 (when that value
    # needs no wider origin type: else the entries carry the thresholds)
    origins = list(model.origins)
    origin_type = _signed_ctype(min(origins), max(origins))
    padded_type = narrowest_ctype(min(origins), model.hi_code + 1, IntFormat(32, True, 1.0))
    compact = _C_TYPE_BYTES[padded_type] <= _C_TYPE_BYTES[origin_type]
    segment = segment_context(model, segment_search, False, QUADRATIC_CHAIN_SEGMENTS,
                              (inp.min_code, model.hi_code), compact)
    bucket = segment["bucket"]
    pad = bucket["compares"] if bucket and bucket["compact"] else 0
    if pad:
        origins, origin_type = [*origins, *[model.hi_code + 1] * pad], padded_type
    return {
        "lanes": _quadratic_lanes(w, bias1, bias2, s, s1) if acc_bits > 32 else None,
        "bias1_u": f"{bias1}u",
        # the array finds each code's bucket in a vectorized pass (_segment.h.j2: NAME_segment_at)
        "bucket_at": True, "bucket_index_type": "uint16_t" if inp.bits <= 16 else "uint32_t",
        "segments": model.segments, "shift": s, "inner_shift": s1,
        "lo": literal(model.lo_code), "hi": literal(model.hi_code),
        "breakpoints": [literal(t) for t in model.breakpoints],
        "origins": [literal(o) for o in origins], "pad": pad,
        "origin_type": origin_type,
        "a": [literal(v) for v in model.a], "a_type": _signed_ctype(min(model.a), max(model.a)),
        "b": [literal(v) for v in b], "b_type": _signed_ctype(min(b), max(b)),
        "c": [literal(v) for v in c], "c_type": _signed_ctype(min(c), max(c)),
        "bias1": literal(bias1), "unbias1": literal(bias1 >> s1), "bias2": literal(bias2),
        "unbias2": literal(bias2 >> s), "rounding": (1 << (s - 1)) if s else 0,
        "acc_type": "int32_t" if acc_bits <= 32 else "int64_t", "acc_bits": acc_bits,
        # wide=False: a 64-bit accumulator only matters to a chain that vectorizes (pwl's);
        # the code is clamped to hi first: the bucket table ends there (a folded half's: 2^15)
        **segment,
        "block": BLOCK,
        "clamp_lo": model.lo_code > inp.min_code or _holds_stray_codes(inp),
        "clamp_hi": model.hi_code < inp.max_code or _holds_stray_codes(inp),
        "sat_lo": w.shifted[0] < model.output.min_code,
        "sat_hi": w.shifted[1] > model.output.max_code,
    }


def ibert_context(model) -> dict:
    """The I-BERT header's context: the final shift sees only values >= 0 (a bias folded into the
    rounding offset), one type holds every intermediate."""
    ranges = model.ranges()
    k = model.shift
    bias = _floor_bias(ranges["acc"][0], k)
    values = [v for lo_hi in ranges.values() for v in lo_hi]
    values += [ranges["acc"][0] + bias, ranges["acc"][1] + bias, model.multiplier,
               model.q_b, model.q_c, model.q_1, model.input.min_code, -model.input.min_code]
    acc_bits = signed_bits(min(values), max(values))
    if acc_bits > 64:
        raise ApproxgenError(f"the C accumulator would need {acc_bits} bits (more than 64)")
    rounding = (1 << (k - 1)) if k else 0
    inp, out = model.input, model.output
    return {
        "kind": model.kind, "q_b": literal(model.q_b), "q_c": literal(model.q_c),
        "q_1": literal(model.q_1), "clip": literal(-model.q_b),
        "multiplier": literal(model.multiplier), "shift": k,
        "offset": literal(rounding + bias), "unbias": literal(bias >> k),
        "acc_type": "int32_t" if acc_bits <= 32 else "int64_t", "acc_bits": acc_bits,
        "stray": _holds_stray_codes(inp), "in_min": _macro(inp.min_code),
        "in_max": _macro(inp.max_code),
        "sat_lo": ranges["shifted"][0] < out.min_code,
        "sat_hi": ranges["shifted"][1] > out.max_code,
    }


def interp_context(model) -> dict:
    """The interp header's context: the nodes in their own type, each region's constants, and
    one accumulator type (int32_t or int64_t). Every floor shift sees a value >= 0: the nodes are
    lifted by a multiple of ``2^F`` (``bias``) and, order 2, the accumulator by ``lift2
    2^(2g+1)`` (taken back from the nodes)."""
    w = model.widths()
    v = model.intermediates(np.arange(model.lo_code, model.hi_code + 1, dtype=np.int64))
    frac = model.frac
    inp = model.input
    gmax = max(model.steps)
    values = [inp.min_code, inp.max_code, model.lo_code - inp.max_code,
              model.hi_code - inp.min_code, w.shifted[0], w.shifted[1], min(model.nodes),
              max(model.nodes)]  # the arithmetic takes the stored nodes and adds node_add
    lift2 = 0
    if model.order == 1:
        bias = _floor_bias(int(model.values().min()), frac) if frac \
            else max(0, -int(model.values().min()))
        values += [(int(model.values().max()) + bias) << gmax, 1 << (gmax + frac), *w.diff,
                   *w.product, w.acc[0] + (bias << gmax), w.acc[1] + (bias << gmax)]
    else:
        rise = 2 * np.asarray(model.steps, dtype=np.int64)[v["region"]] + 1
        lift2 = max(0, int((-(v["acc"] >> rise)).max()))
        bias = _floor_bias(w.total[0], frac)
        lifted = v["acc"] + (np.int64(lift2) << rise)
        values += [*w.diff, *w.d2, *w.inner, *w.product, int(lifted.min()), int(lifted.max()),
                   w.total[0] + bias, w.total[1] + bias, 2 << gmax,
                   ((1 << frac) + 2 * lift2) << (2 * gmax),
                   int(model.values().min()) + bias - lift2,
                   int(model.values().max()) + bias - lift2]
    acc_bits = signed_bits(min(values), max(values))
    if acc_bits > 64:
        raise ApproxgenError(f"the C accumulator would need {acc_bits} bits (more than 64)")
    # one step for every code: the array's arithmetic vectorizes (multi-region: when that keeps
    # every intermediate in 32 bits, the offset t scaled to 2^gmax)
    fixed, lift3, products = _interp_fixed(model, v, bias, lift2, gmax)
    normalise = model.regions > 1 and signed_bits(min(values + fixed), max(values + fixed)) <= 32
    if normalise or model.regions == 1:
        values += fixed
    firsts = model.firsts()
    # region r: z = d * mul_r + c_r with mul_r = 2^(gmax - g_r) (normalised) or 1, c_r = first_r
    # 2^g - start_r mul_r with g = gmax or g_r; k = z >> g, t = z mod 2^g
    g_of = lambda g_r: gmax if normalise else g_r  # noqa: E731
    muls = [1 << (gmax - g) if normalise else 1 for g in model.steps]
    cs = [(k << g_of(g)) - s * f for s, g, k, f in zip(model.starts, model.steps, firsts, muls)]
    regions = [{"start": literal(s), "step": g, "first": literal(k), "c": literal(c),
                "dc": literal(c - c0), "dstep": g - g0, "below": literal(s - 1),
                "cu": f"{c % (1 << 32)}u", "up": gmax - g}
               for s, g, k, c, c0, g0 in zip(model.starts, model.steps, firsts, cs, [0, *cs],
                                             [0, *model.steps])]
    top = max(abs(c) for c in cs)  # c_r, its changes, z = d f + c, d f
    values += [-2 * top, 2 * top, -(model.codes << gmax), (len(model.nodes) + model.codes) << gmax]
    acc_bits = signed_bits(min(values), max(values))
    if acc_bits > 64:
        raise ApproxgenError(f"the C accumulator would need {acc_bits} bits (more than 64)")
    return {
        "nodes": [literal(v) for v in model.nodes],
        "node_type": ctype(model.node_bits, model.node_signed),
        "count": len(model.nodes), "frac": frac, "regions": regions, "order": model.order,
        "lo": _macro(model.lo_code), "hi": _macro(model.hi_code),
        "base": literal(model.base), "bias": literal(bias), "unbias": literal(bias >> frac),
        "node_add": literal(model.base + bias - lift2), "lift2": literal(lift2),
        "round2": literal((1 << frac) + 2 * lift2), "block": BLOCK, "normalise": normalise,
        "products": products, "node_signed": model.node_signed,
        # order 1's one-step array copies a code's two int16 nodes as one 4-byte load
        "packed": model.node_bits == 16,
        "gmax": gmax, "fixed_step": model.regions == 1 or normalise, "lift3": literal(lift3),
        "fixed": {"size": literal(1 << gmax), "size2": literal(2 << gmax),
                  "mask": literal((1 << gmax) - 1), "lift": literal(lift3 << gmax),
                  "round": literal(((1 << frac) + 2 * lift2) << (2 * gmax))},
        "acc_type": "int32_t" if acc_bits <= 32 else "int64_t", "acc_bits": acc_bits,
        "clamp_lo": model.lo_code > inp.min_code or _holds_stray_codes(inp),
        "clamp_hi": model.hi_code < inp.max_code or _holds_stray_codes(inp),
        "sat_lo": w.shifted[0] < model.output.min_code,
        "sat_hi": w.shifted[1] > model.output.max_code,
        "lanes": _interp_lanes(model, v, products, w.shifted),
    }


def _interp_lanes(model, inter: dict, products: list[str], shifted: tuple[int, int]
                  ) -> dict | None:
    """The array in 16-bit lanes (eight codes per SSE2 vector, no 32-bit multiply), or None
    where it does not apply. ``g`` is gmax, ``t`` the offset scaled to it, ``c0, c1, c2`` the
    stored nodes, ``F >= 1``; both orders reduce to ``y = floor((v + base + 2^(F-1)) / 2^F)``
    with ``v`` the interpolated value in stored units:

    - order 1: ``v = c0 + floor((c1 - c0) t / 2^g)`` (between the two nodes), the product from
      the unsigned 16x16 ``(c1 - c0 + 2^15) t`` (high and low halves) less ``t 2^(15-g)`` (a
      difference never negative, up to ``2^16 - 1``: ``(c1 - c0) t`` itself);
    - order 2: ``inner = 2^g (2 d1 - d2) + d2 t``; ``d2 t`` from one 16-bit multiply where its
      range spans less than 2^16 (lifted by ``x_lift``, a multiple of 2^g), else from the high
      and low halves of ``(d2 + 2^15) t`` less ``2^15 t``; ``hi = floor(inner / 2^g)``,
      ``lo = inner mod 2^g``, ``W = floor(t lo / 2^g)`` (``t lo < 2^16`` for ``g <= 8``: no high
      half) and ``v = c0 + floor((t (hi + L) + W) / 2^(g+1)) - t L / 2^(g+1)`` with ``L`` the
      least multiple of ``2^(g+1)`` making ``hi + L >= 0``: the 16x16 product of
      ``t 2^(15-g)`` and ``hi + L`` has the quotient by ``2^(g+1)`` as its high half and the
      remainder (times ``2^(15-g)``) as its low half's top, summed with ``W`` below 2^16. The
      store loop takes four codes at a time (GCC merges their node copies into wider stores).

    ``v + nb`` (``nb`` lifts ``v``'s least value, over every code, to 0) is an unsigned 16-bit
    value; the constant goes in before the shift (``kin``) or, where that could carry out of 16
    bits, after it with the low bits apart (``kout``). The locate clamps the code (a signed
    16-bit key) into each region in turn: a region before the code's adds its whole node count
    (order 2: and its two own nodes), the code's own region its offset, the ones after it
    nothing; the offset's low ``g_r`` bits, shifted to the top of 16 bits and summed, are ``t``
    at the step ``2^16`` (the earlier regions' lengths are multiples of their steps). ``inter``:
    :meth:`InterpModel.intermediates` over every code."""
    gmax, frac, inp, order = max(model.steps), model.frac, model.input, model.order
    if (model.node_bits != 16 or frac < 1 or inp.bits > 16
            or not 1 <= gmax <= (15 if order == 1 else 14)
            or (order == 1 and products[0] not in ("s16", "u16"))):
        return None
    ends = (*model.starts[1:], model.codes)
    if any((b - a) % (1 << g) for a, b, g in zip(model.starts[:-1], ends[:-1], model.steps)):
        return None
    half = 1 << (frac - 1)
    if order == 1:
        rise = (inter["acc"] >> (np.asarray(model.steps, dtype=np.int64)[inter["region"]])) \
            - inter["a"] - half
    else:
        g = np.asarray(model.steps, dtype=np.int64)[inter["region"]]
        hi = inter["inner"] >> g
        if not all(-(1 << 15) <= int(x.min()) and int(x.max()) < 1 << 15
                   for x in (inter["diff"], inter["d2"], hi)):
            return None
        rise = inter["total"] - half - inter["a"]
        # d2 t (t at the step 2^gmax) in one 16-bit multiply where its range spans less than
        # 2^16: lifted by a multiple of 2^gmax to >= 0, its high and low parts exact
        x = inter["d2"] * (inter["t"] << (gmax - g))
        x_lift = -(int(x.min()) >> gmax) << gmax if x.min() < 0 else 0
        x_lift = x_lift if int(x.max()) + x_lift <= 0xFFFF else None
        # hi lifted by the least multiple of 2^(gmax+1) making it >= 0 (t times it less after)
        unit = 1 << (gmax + 1)
        hi_lift = -(int(hi.min()) // unit) * unit if hi.min() < 0 else 0  # <= 2^15: hi is int16
    # v = c0 + rise (the interpolated value, stored units); order 1: rise = floor(d1 t / 2^g)
    # (acc >> g less c0 and the rounding half, which is below 2^g)
    interpolated = np.asarray(model.nodes, dtype=np.int64)[inter["k"]] + rise
    values = (int(interpolated.min()), int(interpolated.max()))
    split = None
    if values[1] - values[0] > 0xFFFF:  # c0's high bits apart: y = (cu >> F) + ((cu mod 2^F + rise + nz) >> F)
        nbc = 1 << 15 if model.node_signed else 0
        nz = -int(rise.min())
        if int(rise.max()) + nz + (1 << frac) - 1 > 0xFFFF or shifted[0] < model.output.min_code \
                or shifted[1] > model.output.max_code:
            return None
        split = {"nbc": nbc}
        values = (-nz, (1 << frac) - 1 + int(rise.max()))  # of cu mod 2^F + rise
        nb, base_units = nz, model.base + half - nbc
    else:
        nb, base_units = -values[0], model.base + half
    k_hi, k_lo = divmod(base_units - nb, 1 << frac)
    kin, kout = (k_lo, 0) if values[1] + nb + k_lo <= 0xFFFF else (0, k_lo)
    # every value of the C input type -> a signed 16-bit key, order kept (uint16_t: less 2^15)
    shift = 1 << 15 if not inp.signed and inp.bits > 8 else 0
    keys = [model.lo_code + s - shift for s in (*model.starts, model.codes)]
    out = model.output
    sat = (shifted[0] < out.min_code, shifted[1] > out.max_code)
    results = (max(shifted[0], out.min_code), min(shifted[1], out.max_code))
    if 0 <= results[0] and results[1] <= 0xFFFF:
        wrapped = False  # r, 16 bits, is the result
    elif -(1 << 15) <= results[0] and results[1] < 1 << 15:
        wrapped = True  # r is the result's two's complement
    else:
        return None
    vb_lo = ((out.min_code - k_hi) << frac) - kout if sat[0] else None
    vb_hi = ((out.max_code - k_hi) << frac) + (1 << frac) - 1 - kout if sat[1] else None
    if (vb_lo is not None and vb_lo > 0xFFFF) or (vb_hi is not None and vb_hi < 0):
        return None  # every code saturates on that side: not worth a path of its own
    vb_lo = vb_lo if vb_lo is not None and vb_lo > 0 else None
    vb_hi = vb_hi if vb_hi is not None and vb_hi < 0xFFFF else None
    return {
        "key_shift": shift, "key_lo": keys[0], "key_hi": model.hi_code - shift,
        # a folded half sees |q| in 0..2^(n-1) only: the clamps its domain still needs there
        "half_clamps": (model.lo_code > 0, model.hi_code < 1 << (inp.bits - 1)),
        "regions": [{"start": keys[r], "step": g, "up": 16 - g,
                     "end": keys[r + 1] if r < model.regions - 1 else None}
                    for r, g in enumerate(model.steps)],
        "first": model.firsts()[0], "down": 16 - gmax, "gmax": gmax,
        "gmask": (1 << gmax) - 1, "hi_mul": 1 << (16 - gmax), "t_mul": 1 << (15 - gmax),
        # order 1: a difference of either sign is lifted by 2^15 into uint16 (t 2^(15-g) less
        # after the product); one that is never negative (u16) is one already
        "du_lift": order == 1 and products[0] == "s16",
        "t2_mul": hi_lift >> (gmax + 1) if order == 2 else None,
        "hi_lift": hi_lift if order == 2 else None,
        "x_lift": x_lift if order == 2 else None,
        "x_back": x_lift >> gmax if order == 2 and x_lift is not None else None,
        "kin": kin + nb, "kout": kout, "mask": (1 << frac) - 1, "k2": k_hi % (1 << 16),
        "vb_lo": vb_lo, "vb_hi": vb_hi, "wrapped": wrapped, "split": split,
    }


def _interp_fixed(model, v: dict, bias: int, lift2: int, gmax: int
                  ) -> tuple[list[int], int, list[str]]:
    """The value range of the interp arithmetic at one step ``2^gmax`` for every code (the offset
    scaled from ``2^g``: each intermediate by a power of two, the result the same), order 2's
    lift ``K`` of the inner term, and each product's :func:`_product_kind`. Order 2 splits the
    inner term at ``2^gmax`` so no intermediate carries ``t`` times it whole: with ``hi = floor(inner / 2^G)``, ``lo = inner mod 2^G``,
    ``floor((t inner + R) / 2^(2G+1)) = floor((t hi + floor((t lo + R) / 2^G)) / 2^(G+1))``.
    ``v``: :meth:`InterpModel.intermediates` over every code."""
    g = np.asarray(model.steps, dtype=np.int64)[v["region"]]
    up = gmax - g
    t = v["t"] << up
    out = [1 << (gmax + model.frac + 1), t.max() + 1]
    lift = 0
    if model.order == 1:  # (c 2^g + (m - c) t + rnd) with c lifted by bias, times 2^(gmax-g)
        scaled = [(v["acc"] + (np.int64(bias) << g)) << up, v["product"] << up]
        products = [(v["diff"], t)]
    else:
        inner = v["inner"] << up
        lift = max(0, int(-(inner.min() >> gmax)))
        lifted = inner + (np.int64(lift) << gmax)
        hi, lo = lifted >> gmax, lifted & ((1 << gmax) - 1)
        rr = ((1 << model.frac) + 2 * lift2) << (2 * gmax)
        low = t * lo + rr
        p = t * (hi - lift) + (low >> gmax)
        scaled = [v["diff"], v["d2"], v["d2"] * (t - (1 << gmax)), lifted, hi - lift,
                  t * (hi - lift), low, p, v["total"] + bias]
        out += [rr, 2 << gmax, lift << gmax]
        products = [(v["d2"], t - (1 << gmax)), (t, hi - lift), (t, lo)]
    for a in scaled:
        out += [int(a.min()), int(a.max())]
    return [int(x) for x in out], lift, [_product_kind(a, b) for a, b in products]


def _product_kind(a: np.ndarray, b: np.ndarray) -> str:
    """How the C may multiply factors ``a`` and ``b`` (their values over every code): ``s16``
    (both fit int16), ``u16`` (both uint16) or ``wide``; a vector unit without a 32-bit multiply
    (x86 SSE2) has 16-bit ones giving the 32-bit product."""
    def within(lo: int, hi: int) -> bool:
        return all(lo <= int(x.min()) and int(x.max()) <= hi for x in (a, b))
    return "s16" if within(-(1 << 15), (1 << 15) - 1) else "u16" if within(0, 0xFFFF) else "wide"


def embedded(template_name: str, context: dict, blocks=("macros", "body")) -> str:
    """The ``blocks`` of a form's header template (by default ``macros`` and ``body``), rendered
    with ``context`` (and the template's own top-level assignments): a header inside another
    header. A block the template does not define renders as nothing."""
    template = environment().get_template(template_name)
    exported = {k: v for k, v in vars(template.make_module(context)).items()
                if not k.startswith("_")}
    block_context = template.new_context({**context, **exported})
    return "".join(text for block in blocks if block in template.blocks
                   for text in template.blocks[block](block_context))


def _folded_sides(model) -> dict | None:
    """Bounds of a folded model's reconstruction before the saturation on each side, exact over
    every input code (the half evaluated): ``{"pos": (lo, hi), "neg": (lo, hi)}`` (``q >= 0``:
    ``r``; ``q < 0``: ``A + s r + B u``); ``None`` beyond :data:`EXACT_RANGE_CODES` codes a side."""
    inp = model.input
    if max(inp.max_code, -inp.min_code) > EXACT_RANGE_CODES:
        return None
    h = np.arange(1, -inp.min_code + 1, dtype=np.int64)
    pos = model.inner.evaluate(np.arange(0, inp.max_code + 1, dtype=np.int64))
    neg = model.a + model.s * model.inner.evaluate(h) + model.b * h
    return {side: (int(r.min()), int(r.max())) for side, r in (("pos", pos), ("neg", neg))}


def _folded_range(sides: dict | None, model) -> tuple[int, int]:
    """Bounds of the reconstruction before the saturation: both sides' (:func:`_folded_sides`),
    else the width analysis's."""
    if sides is None:
        return model.wide_range()
    return min(lo for lo, _ in sides.values()), max(hi for _, hi in sides.values())


def folded_context(model, inner_form, segment_search: str) -> dict:
    """The folded header's context: ``half(name)`` renders the inner form's body named
    ``name_half``; one type (int32_t or int64_t) holds |q|, g and the reconstruction."""
    inner = model.inner
    inp = model.input
    sides = _folded_sides(model)

    def half_context(name: str) -> dict:
        return {"name": f"{name}_half", "macro": f"{name}_half".upper(), "guard": "",
                "provenance": [], "input": _format_context(inner.input),
                "output": _format_context(inner.output),
                **inner_form.c_context_on(inner, segment_search, (0, model.h_max))}

    def half(name: str) -> str:
        return embedded(inner_form.c_template(), half_context(name))

    def half_at(name: str) -> str:
        """The half's value at ``u = |q|`` as one C expression from the half's template (its
        block ``folded_half_at``; a table: its entry, no clamp), or "" (``NAME_half(u)``)."""
        return embedded(inner_form.c_template(),
                        {**half_context(name), "half_at": {"h_max": _macro(model.h_max)}},
                        blocks=("folded_half_at",)).strip()

    wide_bits = model.wide_bits()
    wide_type = "int32_t" if wide_bits <= 32 else "int64_t"

    def fused_array(name: str) -> str:
        """The whole's array variant from the half's template (its block ``folded_array``,
        given ``fold``: the reconstruction in 16-bit lanes), or "" where it has none."""
        fold = _fused_reconstruction(model, sides)
        if fold is None:
            return ""
        fold.update(name=name, code=f"{name}_code" if _input_clamp(inp) else "",
                    block=BLOCK, wide_type=wide_type,
                    h_max=_macro(model.h_max),
                    input_type=ctype(inp.bits, inp.signed),
                    output_type=ctype(model.output.bits, model.output.signed))
        return embedded(inner_form.c_template(), {**half_context(name), "fold": fold},
                        blocks=("folded_array",))

    lo, hi = _folded_range(sides, model)
    expr = (f"{literal(model.a)} {'-' if model.s < 0 else '+'} r" if model.a
            else ("-r" if model.s < 0 else "r"))
    if model.b:
        expr += f" {'-' if model.b < 0 else '+'} " + (f"{literal(abs(model.b))} * u"
                                                        if abs(model.b) != 1 else "u")
    offset = literal(model.a) if model.a else ""
    if model.b:
        b = f"{literal(abs(model.b))} * u" if abs(model.b) != 1 else "u"
        offset = f"{offset} {'-' if model.b < 0 else '+'} {b}" if offset else (
            b if model.b > 0 else f"-{b}")
    out = model.output
    sat_lo, sat_hi = lo < out.min_code, hi > out.max_code
    return {"half": half, "half_at": half_at, "offset": offset, "fused_array": fused_array,
            "wide_type": wide_type,
            "wrap": None if sat_lo or sat_hi else _wrap_context(model),
            "range": f"{lo}..{hi}",
            "wide_bits": wide_bits, "half_in": ctype(inner.input.bits, False),
            "half_out": ctype(inner.output.bits, True), "block": BLOCK,
            "inner_bits": inner.output.bits, "negative": expr,
            "clamp_input": _input_clamp(inp), "a": literal(model.a), "s": model.s,
            "sat_lo": sat_lo, "sat_hi": sat_hi, "b": literal(model.b)}


def _fused_reconstruction(model, sides: dict | None) -> dict | None:
    """The reconstruction of a folded model in 16-bit lanes, for a half's array variant that
    does it itself (:func:`folded_context`'s ``fused_array``): each side's value before the
    saturation (``q >= 0``: ``r``; ``q < 0``: ``A + s r + B u``), over every code, spans at most
    2^16 values, so it is taken modulo 2^16 less the side's least value (``v``, unsigned, exact),
    saturated there (unsigned thresholds) and moved back. ``None`` where a side spans more, the
    input is wider than 16 bits or a side saturates on every code. ``sides``:
    :func:`_folded_sides`."""
    out = model.output
    if model.input.bits > 16 or sides is None:
        return None
    fold = {}
    for side, (lo, hi) in sides.items():
        if hi - lo > 0xFFFF or hi < out.min_code or lo > out.max_code:
            return None
        fold[side] = {"lo": (-lo) % (1 << 16), "back": lo % (1 << 16),
                      "min": out.min_code - lo if lo < out.min_code else None,
                      "max": out.max_code - lo if hi > out.max_code else None}
    fold["neg"]["a"] = (model.a - sides["neg"][0]) % (1 << 16)
    fold["s"] = model.s
    fold["b"] = model.b % (1 << 16)
    fold["signed"] = out.signed
    return fold


def _wrap_context(model) -> dict | None:
    """A folded reconstruction that never saturates, computed modulo ``2^w`` in ``unsigned``
    (``w``: the width of the output's C type, at most 16, so at most ``unsigned``'s): exact, as
    the result is a code, and the array variant then runs in ``w``-bit lanes (8 or 16 per SSE2
    vector, not 4). ``None`` for wider outputs."""
    out = model.output
    bits = int(ctype(out.bits, out.signed).lstrip("u")[3:-2])
    if bits > 16:
        return None
    mask = (1 << bits) - 1
    terms = [f"{model.a & mask}u"] if model.a & mask else []
    terms.append(("- v" if model.s < 0 else "+ v") if terms or model.s < 0 else "v")
    if model.b:
        b = abs(model.b) & mask
        terms.append(f"{'-' if model.b < 0 else '+'} {'' if b == 1 else f'{b}u * '}u")
    text = " ".join(terms)
    offset = [f"{model.a & mask}u"] if model.a & mask else []
    if model.b:
        offset.append(f"{'-' if model.b < 0 else '+'} {'' if b == 1 else f'{b}u * '}u")
    offset = " ".join(offset)
    return {"offset": offset[2:] if offset.startswith("+ ") else (
                "0u " + offset if offset.startswith("- ") else offset),
            "bits": bits, "type": ctype(bits, False), "sign": 1 << (bits - 1),
            "negative": text[2:] if text.startswith("+ ") else ("0u " + text if text.startswith(
                "- ") else text)}


# --- the C of each form ----------------------------------------------------------------------

class FormC:
    """The C header of one form (filed under its :attr:`~approxgen.forms.Form.key` in
    :data:`CELLS`): its template and context. ``form``: the Form plug-in."""

    def __init__(self, form):
        self.form = form

    def c_template(self) -> str:
        return f"c/{self.form.name}.h.j2"

    def c_context(self, model, segment_search: str) -> dict:
        raise NotImplementedError

    def c_context_on(self, model, segment_search: str, codes: tuple[int, int]) -> dict:
        """:meth:`c_context` for a header only ever evaluated on the input codes ``codes``
        (``lo, hi``; a folded half: ``0..2^(n-1)``), which a form may use to emit less code."""
        return self.c_context(model, segment_search)


class PwlC(FormC):
    def c_context(self, model, segment_search: str) -> dict:
        return pwl_context(model, segment_search)

    def c_context_on(self, model, segment_search: str, codes: tuple[int, int]) -> dict:
        return pwl_context(model, segment_search, codes)


class TableC(FormC):
    def c_context(self, model, segment_search: str) -> dict:
        lo, hi = model.lo_code, model.hi_code
        stray = _holds_stray_codes(model.input)
        return {
            "values": [literal(v) for v in model.values],
            # the output type, or a narrower one holding every value (a folded fit's half)
            "value_type": narrowest_ctype(min(model.values), max(model.values),
                                          model.output),
            "lo": _macro(lo),
            "hi": _macro(hi),
            "index": "q" if lo == 0 else (f"q + {-lo}" if lo < 0 else f"q - {lo}"),
            "clamp_lo": lo > model.input.min_code or (stray and (lo > 0 or model.input.signed)),
            "clamp_hi": hi < model.input.max_code or stray,
        }


class QuadraticC(FormC):
    def c_context(self, model, segment_search: str) -> dict:
        return quadratic_context(model, segment_search)


class IbertC(FormC):
    def c_context(self, model, segment_search: str) -> dict:
        return ibert_context(model)


class InterpC(FormC):
    def c_context(self, model, segment_search: str) -> dict:
        return interp_context(model)


class WrapperC(FormC):
    """A wrapping model's C (:class:`approxgen.forms.WrapperForm`): ``inner``, the wrapped
    form's C."""

    def __init__(self, form):
        super().__init__(form)
        self.inner = cell(form.inner)


class FoldedC(WrapperC):
    """A folded model: the inner form's C, plus the reconstruction."""

    def c_template(self) -> str:
        return "c/folded.h.j2"

    def c_context(self, model, segment_search: str) -> dict:
        return folded_context(model, self.inner, segment_search)


class RangedC(WrapperC):
    """A range-reduced model (:mod:`approxgen.forms.ranged`): the inner form's C on ``r``, plus
    the reduction and the rounded shift."""

    def c_template(self) -> str:
        return "c/ranged.h.j2"

    def c_context(self, model, segment_search: str) -> dict:
        inner = model.inner
        context = {"name": "", "macro": "", "guard": "", "provenance": [],
                   "input": _format_context(inner.input), "output": _format_context(inner.output),
                   **self.inner.c_context_on(inner, segment_search,
                                             (0, (1 << model.r_bits) - 1))}

        def half(name: str) -> str:
            return embedded(self.inner.c_template(),
                            {**context, "name": f"{name}_exp2", "macro": f"{name}_exp2".upper()})

        drop = model.f - model.r_bits
        return {"half": half, "half_in": ctype(model.r_bits, False), "c": literal(model.c),
                "drop": drop, "round": literal(1 << (drop - 1)), "r_bits": model.r_bits,
                "mask": literal((1 << model.r_bits) - 1), "top": model.top,
                "base": model.base_shift, "max_shift": model.g_bits + 2,
                "g_bits": model.g_bits, "f": model.f}


# The C of each form, by its key; a form without an entry has no C header (emit.unsupported).
CELLS = {"pwl": PwlC, "table": TableC, "quadratic": QuadraticC, "ibert": IbertC,
         "interp": InterpC, "folded": FoldedC, "ranged": RangedC}


def cell(form) -> FormC:
    """The C of ``form`` (a Form plug-in), or the one refusal where there is none."""
    return emit_cell(CELLS, form, TARGET)
