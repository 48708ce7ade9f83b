"""The emitted C, compiled and callable from Python: :meth:`approxgen.Fit.compile`.

The exported C (:func:`approxgen.emit.c.exported`) is built by the system compiler into a shared
library cached under the user cache directory (``$APPROXGEN_CACHE``, else
``$XDG_CACHE_HOME/approxgen``, else ``~/.cache/approxgen``), named by a digest of the C text, the
compiler's path, its version line and the flags; a second call builds nothing. The C types come
from the fit's formats (no header parsing). Each library is checked against the golden model on
every input code the first time a process loads it. A block (:mod:`approxgen.blocks`) compiles
the same way (:func:`compile_block`, ``Block.compile()``), checked on seeded rows.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from approxgen.errors import ApproxgenError

FLAGS = ("-O2", "-shared", "-fPIC", "-std=c99")
_LOADED: dict[str, "Compiled"] = {}  # library path -> the checked callable, per process


def cache_dir() -> Path:
    """Where compiled libraries are kept."""
    if os.environ.get("APPROXGEN_CACHE"):
        return Path(os.environ["APPROXGEN_CACHE"]) / "native"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "approxgen" / "native"


def find_compiler(compiler: str | None = None) -> str:
    """The C compiler: ``compiler``, else ``$CC``, else cc, gcc or clang on PATH."""
    for name in ([compiler] if compiler else [os.environ.get("CC"), "cc", "gcc", "clang"]):
        path = name and shutil.which(name)
        if path:
            return path
    raise ApproxgenError(f"no C compiler found ({compiler or 'cc, gcc, clang'}; set CC)",
                         "compile(compiler)")


def numpy_dtype(bits: int, signed: bool) -> np.dtype:
    """The numpy type of :func:`approxgen.emit.c.ctype` ``(bits, signed)``."""
    from approxgen.emit.c import ctype

    return np.dtype(ctype(bits, signed).removesuffix("_t"))


class Compiled:
    """``NAME_array`` of a compiled library as a numpy callable: input codes in (any integer
    array of the input format), output codes out (the C output type, same shape)."""

    def __init__(self, fit, library: Path):
        self.fit, self.path = fit, library
        self.in_dtype = numpy_dtype(fit.spec.input.bits, fit.spec.input.signed)
        self.out_dtype = numpy_dtype(fit.spec.output.bits, fit.spec.output.signed)
        self._lib = ctypes.CDLL(str(library))
        self._array = getattr(self._lib, f"{fit.spec.name}_array")
        self._array.restype = None
        self._array.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]

    def __call__(self, codes) -> np.ndarray:
        from approxgen.fixedpoint import integer_codes

        q = np.ascontiguousarray(integer_codes(codes, self.fit.spec.input, "codes"),
                                 dtype=self.in_dtype)
        out = np.empty(q.shape, dtype=self.out_dtype)
        self._array(q.ctypes.data, out.ctypes.data, q.size)
        return out

    def check(self) -> None:
        """Every input code through the library equals the golden model, or ApproxgenError."""
        codes = self.fit.spec.input.codes()
        got, want = self(codes).astype(np.int64), self.fit.evaluate(codes)
        bad = np.flatnonzero(got != want)
        if bad.size:
            q = int(codes[bad[0]])
            raise ApproxgenError(f"the compiled C differs from the golden model on {bad.size} "
                                 f"codes, first at input code {q}: {int(got[bad[0]])} != "
                                 f"{int(want[bad[0]])}", str(self.path))


def compile_fit(fit, compiler: str | None = None) -> Compiled:
    """Build (or reuse) the shared library of ``fit``'s exported C (the emitter registry's C
    emitter with ``export``); the checked callable."""
    from approxgen.emit import get as emitter

    return _load(emitter("c").render(fit, export=True), fit.spec.name, compiler,
                 lambda library: Compiled(fit, library))


def _load(text: str, name: str, compiler: str | None, make):
    """The checked callable ``make(library)`` of the shared library of C ``text`` (built into the
    cache unless there, loaded and checked once per process)."""
    cc = find_compiler(compiler)
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True,
                                 timeout=60).stdout.splitlines()[:1]
    except (OSError, subprocess.SubprocessError):
        raise ApproxgenError(f"cannot run the C compiler {cc}", "compile(compiler)") from None
    key = hashlib.sha256("\0".join([text, cc, *version, *FLAGS]).encode()).hexdigest()[:20]
    library = cache_dir() / f"{name}-{key}.so"
    if str(library) in _LOADED:
        return _LOADED[str(library)]
    if not library.is_file():
        _build(cc, text, name, library)
    compiled = make(library)
    compiled.check()
    _LOADED[str(library)] = compiled
    return compiled


BLOCK_ROWS = """
/* Exported build of the block above (approxgen.native.compile_block): {name} over ``rows``
 * consecutive rows of ``n`` codes each. */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
void {name}_rows(const {i} *x, {o} *y, size_t rows, size_t n)
{{
    size_t r;

    for (r = 0; r < rows; r++)
        {name}(x + r * n, y + r * n, n);
}}
"""
CHECK_ROWS = 64  # seeded rows of each checked length a block library is compared on


class CompiledBlock:
    """A block's C (:func:`approxgen.emit.c.render_block`) as a numpy callable: a 2-D array of
    input codes (rows, ``1 <= n <= length``) in, the output codes (the C output type) out,
    one C call of the block per row."""

    def __init__(self, block, library: Path):
        self.block, self.path = block, library
        self.in_dtype = numpy_dtype(block.input.bits, block.input.signed)
        self.out_dtype = numpy_dtype(block.output.bits, block.output.signed)
        self._lib = ctypes.CDLL(str(library))
        self._rows = getattr(self._lib, f"{block.name}_rows")
        self._rows.restype = None
        self._rows.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]

    def __call__(self, rows) -> np.ndarray:
        from approxgen.fixedpoint import integer_codes

        q = np.ascontiguousarray(integer_codes(rows, self.block.input, "rows"),
                                 dtype=self.in_dtype)
        if q.ndim != 2 or not 1 <= q.shape[1] <= self.block.length:
            raise ApproxgenError(f"rows must be 2-D with 1..{self.block.length} codes each",
                                 "rows")
        out = np.empty(q.shape, dtype=self.out_dtype)
        self._rows(q.ctypes.data, out.ctypes.data, q.shape[0], q.shape[1])
        return out

    def check(self) -> None:
        """Seeded rows (uniform codes; lengths 1, 2 and ``length``; all minimum, all maximum)
        through the library equal the golden model, or ApproxgenError."""
        fmt, rng = self.block.input, np.random.default_rng(0)
        for n in sorted({1, min(2, self.block.length), self.block.length}):
            rows = rng.integers(fmt.min_code, fmt.max_code + 1, (CHECK_ROWS, n))
            rows[0], rows[1] = fmt.min_code, fmt.max_code
            got, want = self(rows).astype(np.int64), self.block.model(rows)
            bad = np.argwhere(got != want)
            if bad.size:
                r, i = bad[0]
                raise ApproxgenError(f"the compiled C differs from the golden model on "
                                     f"{len(bad)} outputs, first at row {r} of length {n}, "
                                     f"element {i}: {got[r, i]} != {want[r, i]}", str(self.path))


def compile_block(block, compiler: str | None = None) -> CompiledBlock:
    """Build (or reuse) the shared library of ``block``'s C header plus an exported
    ``NAME_rows`` loop over rows; the checked callable."""
    from approxgen.emit.c import ctype, render_block

    text = render_block(block) + BLOCK_ROWS.format(
        name=block.name, i=ctype(block.input.bits, block.input.signed),
        o=ctype(block.output.bits, block.output.signed))
    return _load(text, block.name, compiler, lambda library: CompiledBlock(block, library))


def _build(cc: str, text: str, name: str, library: Path) -> None:
    """Compile ``text`` into ``library`` atomically (a temporary file renamed into place)."""
    try:
        library.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ApproxgenError(f"cannot create the cache directory: {exc.strerror}",
                             str(library.parent)) from None
    with tempfile.TemporaryDirectory(dir=library.parent) as work:
        source, built = Path(work) / f"{name}.c", Path(work) / library.name
        source.write_text(text)
        result = subprocess.run([cc, *FLAGS, "-o", str(built), str(source)], capture_output=True,
                                text=True, timeout=600)
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or ["(no message)"])[0]
            raise ApproxgenError(f"{Path(cc).name} failed on the exported C: {first[:200]}",
                                 "compile")
        os.replace(built, library)


def load_vectors(path, fit=None) -> dict[str, np.ndarray]:
    """The fields of a vector file written by ``emit vectors`` (int64 arrays, one value per
    line, by field name: ``x``, ``y`` and the form's own). ``x`` and ``y`` are sign-extended as
    the file's input and output lines state; the other fields too when ``fit`` is given (its
    layout must be the file's), else they are the raw bit patterns."""
    import re

    from approxgen.safeload import read_file

    where = str(path)
    text = read_file(path, "vectors", 1 << 30, where).decode("ascii", errors="replace")
    lines = text.splitlines()
    comments = [line[3:] for line in lines if line.startswith("// ")]
    layout = next((c for c in comments if " words of " in c), None)
    match = layout and re.search(r"up: (\w+\[\d+\](?:_\w+\[\d+\])*) \(", layout)
    if not match:
        raise ApproxgenError("not an approxgen vector file (no layout line)", where)
    names = [(n, int(b)) for n, b in (re.fullmatch(r"(\w+)\[(\d+)", piece).groups()
                                      for piece in match.group(1)[:-1].split("]_"))]
    signed = {key: c.split()[1].startswith("int") for c in comments
              for key, head in (("x", "input "), ("y", "output ")) if c.startswith(head)}
    if fit is not None:
        from approxgen.emit.vectors import fields

        layout_fields = fields(fit)
        if [(f.name, f.bits) for f in layout_fields] != names:
            raise ApproxgenError("the vector file's layout is not this fit's", where)
        signed = {f.name: f.signed for f in layout_fields}
    words = [line for line in lines if line and not line.startswith("//")]
    try:
        columns = list(zip(*(word.split("_") for word in words)))
        values = {name: np.array([int(v, 16) for v in column], dtype=np.int64)
                  for (name, _), column in zip(names, columns)}
    except ValueError:
        raise ApproxgenError("a vector word is not hexadecimal", where) from None
    if len(columns) != len(names) or any(len(word.split("_")) != len(names) for word in words):
        raise ApproxgenError(f"every word must hold {len(names)} fields", where)
    for name, bits in names:
        if signed.get(name):
            v = values[name]
            values[name] = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
    return values
