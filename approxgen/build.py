"""``approxgen build``: fit and emit every spec of a project, cached, in parallel, checkable.

A block spec (:mod:`approxgen.blocks`) gives its block artifact ``NAME.json`` (also the cache of
its inner fits, which are made when it is read) and the file of each emitter that renders it
(``BLOCK_SUFFIX``: ``NAME.h``, ``NAME.v``). Each function spec gives ``NAME.json`` (the fit
artifact), ``NAME.h``, ``NAME.v``, ``NAME_tb.v``, ``NAME.hex`` and ``NAME.md`` (with ``plots``, also
``NAME.png``) in the output directory. The artifact doubles as the cache: when it
records the spec's canonical hash and this tool version (and, for a spec with `calibrate:`, the
samples' digest and method) and re-validates, the fit is reused
instead of re-run. :func:`build` produces every file's text in memory; a build writes those that
differ from the disk, ``--check`` compares them and writes nothing: the same code path.
"""

from __future__ import annotations

import difflib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from approxgen.version import __version__
from approxgen.errors import ApproxgenError, OSFailure
from approxgen.safeload import MAX_JSON_BYTES, read_file

SPEC_SUFFIXES = (".yaml", ".yml")
ARTIFACT_SUFFIX, REPORT_SUFFIX, PLOT_SUFFIX = ".json", ".md", ".png"


def file_suffixes() -> tuple[str, ...]:
    """The files of spec NAME: NAME + each suffix: the artifact, every registered emitter's
    ``BUILD_FILES`` (:data:`approxgen.emit.EMITTERS` order: ``.h``, ``.v``, ``_tb.v``, ``.hex``)
    and the Markdown report (with plots, then NAME.png)."""
    from approxgen.emit import modules

    built = [suffix for module in modules()
             for suffix, _ in getattr(module, "BUILD_FILES", ())]
    return (ARTIFACT_SUFFIX, *built, REPORT_SUFFIX)


@dataclass(frozen=True)
class Product:
    """One spec built in memory: its files (name in the output directory, text or bytes) and a
    summary."""

    source: str
    name: str
    files: tuple[tuple[str, str | bytes], ...]
    line: str  # one line: name, form, segments, max error, mismatches, cached or fitted


def collect(paths) -> list[Path]:
    """Spec files: each file given, and every ``*.yaml``/``*.yml`` of each directory (sorted)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise ApproxgenError("no such spec file or directory", str(given))
    if not found:
        raise ApproxgenError("no spec files (*.yaml, *.yml) found", ", ".join(map(str, paths)))
    return found


def load_spec(path: Path):
    """The Spec of a spec file, or the block (:mod:`approxgen.blocks`) of a block spec."""
    plan = load_plan(path)
    return plan if is_block(plan) else plan.spec


def load_plan(path: Path, out_dir: Path | None = None):
    """The :class:`approxgen.fitting.Plan` of a spec file: its specs, and its samples when
    it names them (``calibrate:``, relative to the file); a block spec's block (its inner fits
    from ``out_dir/NAME.json`` where an earlier build left fits of the same specs there)."""
    from approxgen import blocks, fitting, spec as specs

    raw = specs.load_yaml(path)
    if blocks.is_block_spec(raw):
        from approxgen.blocks.artifact import cached_fits

        name = raw.get("name", raw["block"])
        cached = cached_fits(out_dir / f"{name}{ARTIFACT_SUFFIX}") if out_dir is not None \
            and isinstance(name, str) and specs.name_problem(name) is None else {}
        with blocks.stored_fits(cached, fallback=True):
            return blocks.load(raw, str(path))
    return fitting.plan(raw, str(path))


def is_block(item) -> bool:
    from approxgen.blocks import Block

    return isinstance(item, Block)


def render_block(block) -> list[tuple[str, str]]:
    """Every file of a block: its artifact NAME.json, and NAME + the ``BLOCK_SUFFIX`` of each
    emitter that renders it."""
    from approxgen.emit import modules

    from approxgen.blocks.artifact import dumps

    return [(block.name + ARTIFACT_SUFFIX, dumps(block))] + [
            (block.name + module.BLOCK_SUFFIX, module.render_block(block))
            for module in modules() if hasattr(module, "BLOCK_SUFFIX")
            and getattr(module, "renders_block", lambda _: True)(block)]


def load_specs(paths: list[Path], out_dir: Path | None = None) -> list:
    """Every spec file read once (:func:`load_plan`: a Plan, or a block, its inner fits cached
    in ``out_dir``), validated, with two
    of the same name refused, or names that differ only in case (they would share files, on a
    case-insensitive file system too)."""
    names: dict[str, tuple[str, Path]] = {}
    loaded = []
    for path in paths:
        item = load_plan(path, out_dir)
        name = name_of(item)
        if name.casefold() in names:
            other, where = names[name.casefold()]
            same = "is also the name" if other == name else f"differs only in case from {other!r}"
            raise ApproxgenError(f"name {name!r} {same} of {where}: each spec needs its own name "
                                 f"(its files are named after it; macOS and Windows file systems "
                                 f"ignore case)", str(path))
        names[name.casefold()] = (name, path)
        loaded.append(item)
    return loaded


def name_of(item) -> str:
    """The name of a :func:`load_plan` item (a Plan's spec, or a block): its files' stem."""
    return item.name if is_block(item) else item.spec.name


def file_names(name: str, plots: bool = False) -> list[str]:
    """The files a build writes for the spec ``name``, in :func:`render`'s order."""
    return [name + suffix for suffix in file_suffixes() + ((PLOT_SUFFIX,) if plots else ())]


def check_out(names: list[str], out_dir: Path, sources: list[Path], plots: bool,
              check: bool) -> None:
    """Refuse, before any work, a file in ``out_dir`` a build could not write or compare (a FIFO,
    device, directory, dangling symlink; without ``check``, one it cannot write)."""
    from approxgen.outputs import validate

    if out_dir.is_dir():
        validate([(str(out_dir / f), "") for n in names for f in file_names(n, plots)],
                 inputs=map(str, sources), writable=not check)


def cached_fit(plan, out_dir: Path):
    """The fit in ``out_dir/NAME.json`` when it is for this exact spec (a Spec, or one of a
    Plan's candidates), calibrated on the same samples (their digest) by the same method, and
    this tool version."""
    from approxgen import artifact
    from approxgen.fitting import as_plan

    plan = as_plan(plan)
    path = out_dir / f"{plan.spec.name}.json"
    try:
        text = read_file(path, "fit artifact", MAX_JSON_BYTES)
        data = json.loads(text)
    except (ApproxgenError, OSFailure, ValueError):
        return None
    if not isinstance(data, dict) or data.get("spec_hash") not in [s.hash() for s in plan.specs] \
            or data.get("tool_version") != __version__:
        return None
    try:
        fit = artifact.loads(text, str(path))
    except ApproxgenError:
        return None
    return fit if plan.matches(fit) else None


def render(fit, plots: bool = False) -> list[tuple[str, str | bytes]]:
    """Every file of one fit: (file name, text; a plot's bytes)."""
    from approxgen import report
    from approxgen.emit import modules

    names = file_names(fit.spec.name, plots)
    emitted = [render(fit) for module in modules()
               for _, render in getattr(module, "BUILD_FILES", ())]
    png = [report.plot_bytes(fit, PLOT_SUFFIX)] if plots else []
    return list(zip(names, [fit.dumps(), *emitted,
                            report.markdown(fit, names[len(file_suffixes()):])] + png))


def build_one(source: str, plan, cached, progress: bool = False,
              plots: bool = False) -> Product:
    """Fit one resolved Spec or :class:`approxgen.fitting.Plan` (calibrated on its samples if it
    has any; unless ``cached``, its valid cached fit, is given) and render its files in memory;
    ``progress``: plain status lines on stderr during a long fit; ``plots``: add NAME.png. It
    reads no file, so it runs on any worker."""
    from approxgen import forms, progress as reporter
    from approxgen.fitting import as_plan

    if is_block(plan):
        files = render_block(plan)
        return Product(source, plan.name, tuple(files),
                       f"{plan.name}: {plan.kind} block of length {plan.length}, "
                       f"{', '.join(name for name, _ in files)}")
    plan = as_plan(plan)
    spec = plan.spec
    reporter.set_mode("plain" if progress else "off", label=spec.name)
    started = time.perf_counter()
    fit, how = cached, "cached"
    if fit is None:
        fit = plan.fit(progress=progress)
        how = f"fitted in {time.perf_counter() - started:.2f} s"
    m = fit.metrics
    shape = forms.of(fit.model).shape(fit.model)
    line = (f"{spec.name}: {shape}, max error {m['max_error_lsb']:.4f} LSB, "
            f"{m['mismatches']} mismatches, {how}")
    return Product(source, spec.name, tuple(render(fit, plots)), line)


def build(sources: list[Path], out_dir: Path, jobs: int = 1, on_product=None,
          progress: bool = False, plots: bool = False, executor=None,
          loaded: list | None = None) -> list[Product]:
    """Build every spec in memory (``jobs`` processes, or by ``executor``: see
    :mod:`approxgen.parallel`), in the order given; ``on_product`` is called with each product
    as soon as it and those before it are done. Specs and cached fits are read here, so the
    jobs read no file (a spec's calibration samples neither); ``loaded``: the sources as
    :func:`load_specs` read them already. On Ctrl-C (or any error) the workers are stopped at
    once."""
    from approxgen.parallel import ordered_map

    progress = progress and (executor is None or executor.here)  # a worker's stderr is not ours
    if loaded is None:
        loaded = [load_plan(Path(source), Path(out_dir)) for source in sources]  # samples too
    args = []
    for source, plan in zip(sources, loaded):
        cached = None if is_block(plan) else cached_fit(plan, Path(out_dir))
        args.append((str(source), plan, cached, progress, plots))
    products = []
    for product in ordered_map(build_one, args, jobs, executor):
        products.append(product)
        if on_product:
            on_product(product)
    return products


def changes(products: list[Product], out_dir: Path) -> list[tuple[Path, object, object]]:
    """The files whose disk content differs: (path, content on disk or None if missing, new
    content), text files as text, plots as bytes."""
    out = []
    for product in products:
        for name, new in product.files:
            path = out_dir / name
            old = read_file(path, "output", MAX_JSON_BYTES) if os.path.lexists(path) else None
            if old is not None and isinstance(new, str):
                old = old.decode("utf-8", errors="replace")
            if old != new:
                out.append((path, old, new))
    return out


def leftovers(products: list[Product], out_dir: Path) -> list[Path]:
    """Files in ``out_dir`` a build of these products would have written for a spec that is no
    longer built (removed or renamed): named like a product's files, and the spec's artifact
    ``NAME.json`` is an approxgen fit (it records a spec hash). Sorted."""
    built = {name for p in products for name, _ in p.files}
    suffixes = {name[len(p.name):] for p in products for name, _ in p.files}
    try:
        present = sorted(path for path in out_dir.iterdir() if path.name not in built)
    except OSError:
        return []
    stems = set()
    for path in present:
        if path.suffix == ".json" and _is_artifact(path):
            stems.add(path.name[: -len(".json")])
    return [path for path in present
            if any(path.name == stem + suffix for stem in stems for suffix in suffixes)]


def _is_artifact(path: Path) -> bool:
    """Whether ``path`` is a regular file holding an approxgen fit (read by
    :func:`~approxgen.safeload.read_file`: never a FIFO or a device, at most 64 MiB)."""
    try:
        data = json.loads(read_file(path, "fit artifact", MAX_JSON_BYTES))
    except (ApproxgenError, OSFailure, ValueError):
        return False
    return isinstance(data, dict) and "spec_hash" in data and "tool_version" in data


def short_diff(path: Path, old, new, limit: int = 12) -> str:
    """How ``path`` would change: 'missing', or the first ``limit`` lines of a unified diff."""
    if old is None:
        return f"{path}: missing"
    if isinstance(new, bytes):
        return f"{path}: would change ({len(old)} bytes on disk, {len(new)} would be written)"
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"{path} (on disk)",
                                      f"{path} (would be written)", n=1, lineterm=""))
    more = len(lines) - limit
    shown = lines[:limit] + ([f"... {more} more diff lines"] if more > 0 else [])
    return f"{path}: would change\n" + "\n".join("    " + line for line in shown)
