"""Emitters: each renders a Fit through Jinja templates into one target (C, Verilog, vectors).

Emitters never fit; they read the integers of a :class:`~approxgen.artifact.Fit` and must match the
golden model (:mod:`approxgen.model`) bit for bit. What they share lives here: the one registry
(:data:`EMITTERS`), the template environment, the provenance header, comment-safe text, the name
rules of every emitter, and the lookup of an emitter's per-form code (:func:`cell`).

An emitter is a plug-in: one module named in :data:`EMITTERS` (``emit``, ``verify``, ``build``
and :func:`approxgen.emit` read it), its templates, and nothing else. The module holds

* ``TARGET`` (its name in messages), ``render(fit, **options) -> str`` and ``HELP`` (one line for
  ``approxgen emit TARGET --help``), ``OUTPUT_HELP`` (its ``-o``);
* optionally ``OPTIONS`` (:class:`Option`: ``render``'s keywords as CLI flags), ``EXTRA_FILES``
  (:class:`ExtraFile`: more files one ``emit`` writes, such as Verilog's test bench),
  ``BUILD_FILES`` (``(suffix, render(fit) -> str)`` for ``approxgen build``), ``VERIFIERS``
  (``approxgen verify`` targets -> ``"module:function"`` running them), ``RESERVED`` (the
  identifiers its output reserves) and ``name_problem(name)`` (why ``name`` would break its
  output, or ``None``: :func:`name_problem` asks all of them, so shared code never names an
  emitter's keywords);
* optionally ``render_block(block) -> str`` (a block spec, :mod:`approxgen.blocks`),
  ``renders_block(block)`` (whether it has code for that block; :func:`block_renderer`) and
  ``BLOCK_VERIFIERS`` (the ``verify`` targets it checks for a block -> ``"module:function"``,
  :mod:`approxgen.verify_block`);
* its per-form code, keyed by :attr:`approxgen.forms.Form.key` (``CELLS``; :func:`cell`): a form
  it has no entry for gets the one refusal :func:`unsupported`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.resources
import re
from dataclasses import dataclass
from typing import Any, Callable

from approxgen import forms
from approxgen.version import __version__
from approxgen.errors import ApproxgenError

# The emitter registry: target name -> the module that renders it (imported only when used).
EMITTERS = {"c": "approxgen.emit.c", "verilog": "approxgen.emit.verilog",
            "vectors": "approxgen.emit.vectors", "vhdl": "approxgen.emit.vhdl"}
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_UNSAFE_RE = re.compile(r"[^ -\[\]-~]")  # anything but printable ASCII, and the backslash


def get(target: str):
    """The emitter module of ``target`` (an ApproxgenError naming ``target`` if there is none)."""
    if not isinstance(target, str) or target not in EMITTERS:
        raise ApproxgenError(f"unknown target {target!r} (one of {', '.join(EMITTERS)})",
                             "target")
    return importlib.import_module(EMITTERS[target])


def modules():
    """Every registered emitter module, in registry order."""
    return [importlib.import_module(module) for module in EMITTERS.values()]


@dataclass(frozen=True)
class Option:
    """A keyword of an emitter's ``render`` as a CLI flag: ``flag`` (``--part``), its ``help``,
    ``choices`` (a tuple, or ``"module:attribute"`` naming a registry), a boolean ``is_flag``,
    the ``default``, its value ``type`` (``int``), ``metavar``, and ``flag_value``: the value
    of the flag given bare (it then also takes a value)."""

    name: str
    flag: str
    help: str
    default: Any = None
    choices: tuple | str | None = None
    is_flag: bool = False
    type: Any = None
    metavar: str | None = None
    flag_value: Any = None


@dataclass(frozen=True)
class ExtraFile:
    """A further file one ``approxgen emit`` may write: its option (``--testbench``), its
    ``render(fit, **options) -> str`` (given the emitter's :class:`Option` values) and help;
    ``directory``: the option names a directory and ``render`` returns ``[(file name, text)]``
    (``render`` ``None``: a file of the :class:`MultiFit` unit only)."""

    name: str
    flag: str
    render: Callable[..., Any] | None
    help: str
    directory: bool = False


@dataclass(frozen=True)
class MultiFit:
    """Several fits as one unit (``approxgen emit TARGET TARGET... FLAG``): the boolean option
    ``name``/``flag`` asks for it; ``render(fits, targets, **options) -> str`` writes ``-o``;
    ``files`` (:class:`ExtraFile`, ``render(fits, targets, **options)``) the further files."""

    name: str
    flag: str
    help: str
    render: Callable[..., str]
    files: tuple[ExtraFile, ...] = ()


def block_renderer(module, block, where: str | None = None):
    """The emitter ``module``'s ``render_block(block) -> str`` (blocks: :mod:`approxgen.blocks`),
    refused in one line (naming ``where``) where it has none or its ``renders_block(block)`` says
    it cannot render that block."""
    render = getattr(module, "render_block", None)
    if render is None or not getattr(module, "renders_block", lambda _: True)(block):
        raise ApproxgenError(f"the {block.kind} block has no {module.TARGET} emitter yet", where)
    return render


def block_provenance(block) -> list[str]:
    """The header every emitted block file carries (:func:`comment_text` lines, no timestamp)."""
    lines = [f"Generated by approxgen {__version__}; do not edit.",
             f"name {block.name}: block {block.kind}, rows of at most {block.length} codes",
             f"input  {block.input.describe()}", f"output {block.output.describe()}",
             *block.provenance_lines()]
    return [comment_text(line) for line in lines]


def render_block_unit(block, context: dict, render_fit, template: str) -> str:
    """A block's streaming HDL unit: the block's context for one language (``context``, from
    its ``verilog_context()``/``vhdl_context()``), the keys every unit reads (``module``,
    ``provenance``, the formats' widths), each inner fit rendered by ``render_fit`` (under its
    context key) and the template ``template`` formatted with the context's ``template`` (by
    default the block's ``kind``), e.g. ``"vhdl/{}.vhd.j2"``."""
    full = {**context, "module": block.name, "provenance": block_provenance(block),
            "in_bits": block.input.bits, "in_signed": block.input.signed,
            "out_bits": block.output.bits}
    full.update({key: render_fit(fit) for key, fit in block.inner_fits().items()})
    name = template.format(full.get("template", block.kind))
    return environment().get_template(name).render(**full)


def unsupported(form, target: str) -> ApproxgenError:
    """The one refusal of an emitter that has no code for ``form`` (a Form plug-in; a wrapper's
    key differs from its name: ``folded``)."""
    wrapped = f" for {form.key} fits" if form.key != form.name else ""
    return ApproxgenError(f"the {form.name} form has no {target} emitter{wrapped}")


def cell(cells: dict, form, target: str):
    """The per-form code of an emitter (``cells``: :attr:`Form.key` -> a class taking the form)
    for ``form``, built for it; :func:`unsupported` where the emitter has none."""
    factory = cells.get(form.key)
    if factory is None:
        raise unsupported(form, target)
    return factory(form)


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja environment over the shipped ``templates/`` (strict: a missing name fails); built
    once per process, so its compiled templates are reused (budgets and builds render often)."""
    import jinja2

    root = importlib.resources.files("approxgen.templates")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(root)),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True, autoescape=False)


def comment_text(text: str) -> str:
    """``text`` as one line that is safe inside a C or Verilog comment of either kind: printable
    ASCII only (any other character, line breaks included, becomes ``<U+XXXX>``), no backslash (a
    C line splice), and no ``/*``, ``*/`` (comment delimiters) or ``??`` (a C trigraph)."""
    text = _UNSAFE_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(text))
    for pair in ("/*", "*/", "??"):
        while pair in text:
            text = text.replace(pair, f"{pair[0]} {pair[1]}")
    return text


def name_problem(name) -> str | None:
    """Why ``name`` cannot name a fit's function/module in some emitter's output, or ``None``:
    not an identifier, or refused by an emitter of :data:`EMITTERS`."""
    if not isinstance(name, str) or not IDENTIFIER_RE.fullmatch(name):
        return "is not an identifier (a letter or _, then letters, digits or _; at most 63)"
    for module in modules():
        problem = getattr(module, "name_problem", lambda _: None)(name)
        if problem:
            return problem
    return None


def derived_name_problem(name: str, suffixes, defines: str) -> str | None:
    """Why ``name`` collides with a name an emitter derives from another fit's (``X`` + one of
    ``suffixes``), or ``None``; ``defines`` says what that fit's output defines (``module``...)."""
    suffix = next((s for s in suffixes if name.endswith(s)), None)
    if suffix is None:
        return None
    return f"ends with {suffix}: {defines.format(base=name[:-len(suffix)] or 'X')} {name}"


def check_name(fit) -> str:
    """The fit's name, refused (:func:`name_problem`) if it would break an emitted file."""
    problem = name_problem(fit.spec.name)
    if problem:
        raise ApproxgenError(f"{fit.spec.name!r} {problem}", "name")
    return fit.spec.name


def provenance(fit) -> list[str]:
    """The header every emitted file carries, each line :func:`comment_text` (whatever an artifact
    holds, it stays a comment); no timestamp, so equal inputs give equal bytes."""
    spec, info, m, f = fit.spec, fit.search, fit.metrics, fit.floor_metrics
    expr = spec.function.expr and " ".join(str(spec.function.expr).split())  # one line
    function = expr and f"expr {expr}" or spec.function.name
    lines = [
        f"Generated by approxgen {__version__}; do not edit.",
        f"name {spec.name}: {function}",
        f"spec hash {spec.hash()}",
        f"input  {spec.input.describe()}, domain codes {spec.domain[0]}..{spec.domain[1]}",
        f"output {spec.output.describe()}",
    ]
    lines.append(forms.of(fit.model).provenance_line(fit))
    lines.append(f"measured over every domain code: max error {m['max_error_lsb']:.4f} LSB, "
                 f"{m['mismatches']} mismatches vs correctly rounded, "
                 f"max abs error {m['max_abs_error']:.6g}, mse {m['mse']:.6g}")
    lines.append(f"correctly rounded table: max error {f['max_error_lsb']:.4f} LSB")
    return [comment_text(line) for line in lines]
