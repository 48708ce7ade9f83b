"""What several subcommands share: the fit flags, turning a target into a Fit, safe writing."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path

import click

from approxgen.errors import ApproxgenError

class InputArgument(click.Argument):
    """An argument naming a file the command reads (``TARGET``, ``SPECS``): no output may be it."""

    reads = True


class InputOption(click.Option):
    """An option naming a file the command reads (``--calibrate``): no output may be it."""

    reads = True


class OutputOption(click.Option):
    """An option naming a file (``directory=True``: a directory) the command writes. A
    :class:`Command` checks every one (:mod:`approxgen.outputs`) before it runs: no work is done
    for an output that cannot be written, and none overwrites an input or another output."""

    def __init__(self, *args, directory: bool = False, **kwargs):
        self.directory = directory
        super().__init__(*args, **kwargs)


class Command(click.Command):
    """A subcommand whose :class:`OutputOption` paths are validated against each other and its
    :class:`InputArgument`/:class:`InputOption` files before the command body runs."""

    def invoke(self, ctx):
        check_paths(self, ctx.params)
        return super().invoke(ctx)

    def get_params(self, ctx):
        """Its parameters; with the fit flags (:func:`fit_flags`), the forms' own keys' flags
        after ``--fold`` (added on first use, so listing the commands imports no form)."""
        if getattr(self.callback, "fit_flags", False) and not getattr(self, "_keyed", False):
            self._keyed = True
            at = next((i + 1 for i, p in enumerate(self.params) if p.name == "fold"),
                      len(self.params))
            self.params[at:at] = form_key_options()
        return super().get_params(ctx)


def check_paths(command: click.Command, params: dict) -> None:
    """Validate the output options of ``command`` given ``params`` (see :class:`Command`)."""
    from approxgen import outputs

    files, flags, inputs = [], [], []
    for param in command.params:
        value = params.get(param.name)
        if value is None or value == ():
            continue
        if getattr(param, "reads", False):
            inputs += input_paths(*(value if isinstance(value, tuple) else (value,)))
        if isinstance(param, OutputOption) and param.directory:
            outputs.check_directory(value, f"{'/'.join(param.opts)} {value}")
        elif isinstance(param, OutputOption):
            files.append((value, ""))
            flags.append("/".join(param.opts))
    outputs.validate(files, inputs, flags)


class EmitterCommand(Command):
    """A :class:`Command` that also takes the render options (:class:`approxgen.emit.Option`) of
    the emitters named ``emitters`` (or returned by it, a function), placed before its first
    option named in ``before``; they are added when the command is first parsed or shown, so
    listing the commands imports no emitter."""

    def __init__(self, *args, emitters=(), before: tuple[str, ...] = (), **kwargs):
        self._emitters, self._before = emitters, before
        self._targets, self._added = None, []
        super().__init__(*args, **kwargs)

    def get_params(self, ctx):
        targets = tuple(self._emitters() if callable(self._emitters) else self._emitters)
        if targets != self._targets:  # first use, or the registry changed since
            self.params = [p for p in self.params if p not in self._added]
            at = next((i for i, p in enumerate(self.params) if p.name in self._before),
                      len(self.params))
            self._targets, self._added = targets, emitter_options(targets)
            self.params[at:at] = self._added
        return super().get_params(ctx)


def emitter_options(targets) -> list[click.Option]:
    """The click options of the render options every emitter of ``targets`` declares."""
    from approxgen.emit import get as emitter

    made, seen = [], set()
    for target in targets:
        for opt in getattr(emitter(target), "OPTIONS", ()):
            if opt.name in seen:  # one flag for the emitters sharing it (verify: --part)
                continue
            seen.add(opt.name)
            kind = (RegistryChoice(opt.choices) if isinstance(opt.choices, str)
                    else click.Choice(opt.choices) if opt.choices else opt.type)
            bare = {} if opt.flag_value is None else {"flag_value": opt.flag_value}
            made.append(click.Option([opt.flag, opt.name], type=kind, default=opt.default,
                                     is_flag=opt.is_flag, help=opt.help, metavar=opt.metavar,
                                     show_default=not opt.is_flag and opt.default is not None,
                                     **bare))
    return made


class RegistryChoice(click.Choice):
    """A :class:`click.Choice` over the names of a registry (``"module:attribute"``; a function
    there returns it), imported only when the choices are needed (parsing, ``--help``, shell
    completion)."""

    def __init__(self, registry: str):
        self._registry = registry
        super().__init__((), case_sensitive=True)

    @property
    def choices(self):
        import importlib

        module, attr = self._registry.split(":")
        registry = getattr(importlib.import_module(module), attr)
        return tuple(registry() if callable(registry) else registry)

    @choices.setter
    def choices(self, value):  # click.Choice.__init__ assigns; the registry decides
        pass


FIT_FLAGS = [
    click.option("--bits", type=int, help="Input and output width (default scales)."),
    click.option("--in-bits", type=int, help="Input width (2..16)."),
    click.option("--out-bits", type=int, help="Output width (2..32)."),
    click.option("--in-scale", help="Input scale: a number or 2^k."),
    click.option("--out-scale", help="Output scale: a number, 2^k or auto."),
    click.option("--unsigned", is_flag=True, default=None, help="Unsigned input codes."),
    click.option("--domain", nargs=2, type=float, help="Fitting domain LO HI (real units)."),
    click.option("--form", type=RegistryChoice("approxgen.spec:FORMS"),
                 help="pwl (piecewise linear), quadratic (piecewise), interp (interpolated "
                      "node table), ibert (I-BERT's closed form: gelu, exp) or table (correctly "
                      "rounded). Default: table at <= 8 input bits (plain, else folded, within "
                      "--max-bytes), pwl otherwise or with a pwl flag (--segments, --search...)."),
    click.option("--segments", help="Number of segments, or auto (with --max-error-lsb)."),
    click.option("--max-error-lsb", type=float, help="Error budget for --segments auto."),
    click.option("--max-bytes", type=int, help="Byte budget for --segments auto: the C "
                                                "header's tables fit it (lowest error, or with "
                                                "--max-error-lsb the fewest bytes)."),
    click.option("--coef-format", help="auto, or BITS:FRAC for slopes and intercepts (e.g. 8:6)."),
    click.option("--search", type=RegistryChoice("approxgen.search:SEARCHES"),
                 help="Breakpoint search method (default exact)."),
    click.option("--objective", type=RegistryChoice("approxgen.spec:OBJECTIVES"),
                 help="max (minimax, in LSB; the default), mse, or rounding (fewest codes "
                      "whose output differs from the correctly rounded table)."),
    click.option("--seed", type=int, help="Random seed of the search."),
    click.option("--name", help="Identifier of the emitted function/module."),
    click.option("--weights", type=RegistryChoice("approxgen.spec:WEIGHTS"),
                 help="none, or samples: weight the objective by the histogram of the "
                      "--calibrate samples over the input codes (mse: weighted mean; max: over "
                      "the codes the samples hit)."),
    click.option("--fold", type=RegistryChoice("approxgen.spec:FOLDS"),
                 help="Symmetry folding (odd, f(-x) = 1 - f(x), f(-x) = f(x) - x): fit one half "
                      "and reconstruct the other exactly in integers. auto (default): when exact "
                      "and not worse than the unfolded fit; on: required; none: never."),
    click.option("--bytes-target", type=RegistryChoice("approxgen.footprint:BYTES_TARGETS"),
                 help="What --max-bytes counts and the summary shows: tables (the C header's "
                      "static const tables, the default) or the whole compiled kernel's "
                      "read-only bytes (tables + constants + code) on host (cc -O2), "
                      "cortex-m0, cortex-m4 or cortex-m7 (arm-none-eabi-gcc -Os)."),
]  # then the forms' own keys' flags (approxgen.forms.Key), added by Command when used


def fit_flags(command=None, *, exclude: tuple[str, ...] = ()):
    """Decorate ``command`` with every fit flag but ``exclude`` (collected into one ``flags``
    dict, excluded ones None): ``@fit_flags`` or ``@fit_flags(exclude=("form",))``. The flags of
    the forms' own keys (:func:`form_key_options`) join them when a :class:`Command` is used."""
    if command is None:
        return functools.partial(fit_flags, exclude=exclude)

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        flags = {name: None if name in exclude else kwargs.pop(name) for name in _FLAG_NAMES}
        from approxgen.forms import declared_keys

        flags.update({name: kwargs.pop(name, None) for name in declared_keys()})
        return command(*args, flags=flags, **kwargs)

    wrapper.fit_flags = True  # Command adds the forms' keys' flags after --fold

    for name, option in reversed(list(zip(_FLAG_NAMES, FIT_FLAGS))):
        if name not in exclude:
            wrapper = option(wrapper)
    return wrapper


_FLAG_NAMES = ["bits", "in_bits", "out_bits", "in_scale", "out_scale", "unsigned", "domain",
               "form", "segments", "max_error_lsb", "max_bytes", "coef_format", "search",
               "objective", "seed", "name", "weights", "fold", "bytes_target"]


def form_key_options() -> list[click.Option]:
    """The CLI flags of the forms' own spec keys, from their declarations (forms.Key)."""
    from approxgen.forms import declared_keys

    return [click.Option([key.flag, key.name], help=key.help) for key in declared_keys().values()]


progress_option = click.option(
    "--progress", is_flag=True,
    help="Plain status lines on stderr every few seconds during long work, also on a terminal "
         "(where a progress bar shows otherwise; off a terminal the lines are the default); -q "
         "silences both.")


def executor_options(what: str):
    """``-j/--jobs``, ``--executor``, ``--scheduler`` and ``--per-task`` for a command running
    many ``what`` (its function then takes one ``executor`` argument: see
    :mod:`approxgen.parallel`)."""
    from approxgen.parallel import EXECUTORS

    def decorate(command):
        @click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                      help=f"{what} run in parallel (processes; --executor local).")
        @click.option("--executor", "executor_name", type=click.Choice(list(EXECUTORS)),
                      default="local", show_default=True,
                      help="Where they run: local processes, or the workers of a "
                           "dask.distributed scheduler (results are identical).")
        @click.option("--scheduler", metavar="ADDR",
                      help="The dask scheduler's address (tcp://HOST:8786), with --executor dask.")
        @click.option("--per-task", type=click.IntRange(min=1), metavar="N",
                      help=f"{what} per dask task (default: about 4 tasks per worker).")
        @functools.wraps(command)
        def wrapper(*args, jobs, executor_name, scheduler, per_task, **kwargs):
            from approxgen import parallel

            runner = parallel.make(executor_name, jobs, scheduler, per_task)
            return command(*args, executor=runner, **kwargs)

        return wrapper

    return decorate


def set_progress(progress: bool, quiet: bool) -> bool:
    """Set :mod:`approxgen.progress` from the flags; True when fits should report progress."""
    from approxgen import progress as reporter

    reporter.set_mode("off" if quiet else "plain" if progress else "auto")
    return not quiet


def flag_overrides(flags: dict) -> dict:
    """Map CLI flags to dotted spec keys (``None`` means not given)."""
    in_bits = flags["in_bits"] if flags["in_bits"] is not None else flags["bits"]
    out_bits = flags["out_bits"] if flags["out_bits"] is not None else flags["bits"]
    return {
        "input.bits": in_bits, "output.bits": out_bits,
        "input.scale": flags["in_scale"], "output.scale": flags["out_scale"],
        "input.signed": False if flags["unsigned"] else None,
        "domain": list(flags["domain"]) if flags["domain"] else None,
        "form": flags["form"], "segments": flag_int(flags["segments"]),
        "max_error_lsb": flags["max_error_lsb"], "max_bytes": flags["max_bytes"],
        "coef_format": flags["coef_format"],
        "search": flags["search"], "objective": flags["objective"], "seed": flags["seed"],
        "name": flags["name"], "weights": flags["weights"], "fold": flags["fold"],
        "bytes_target": flags["bytes_target"],
        **{name: flag_int(value) for name, value in flags.items() if name not in _FLAG_NAMES},
    }


def flag_int(value: str | None):
    """A flag's text as an integer when it is one (``--segments 16``), else unchanged (``auto``,
    or a bad value the spec then refuses, naming the flag): a spec file's ``'16'`` stays text."""
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,40}\s*", value):
        return int(value)
    return value


def read_target(target: str) -> tuple[str, str | None, str]:
    """What TARGET is, judged by its content: ``(kind, text, where)``.

    ``-`` is stdin; an existing file (or a name with a path or a spec/artifact extension) is
    read: a ``"spec"`` when it is a YAML mapping (JSON is YAML) without ``"schema"``, and when
    named ``.json`` one with ``function`` or ``expr``; else a fit ``"artifact"``. Anything else
    is a ``"function"`` name.
    """
    import json

    from approxgen.safeload import MAX_JSON_BYTES, decode, read_file, read_stream

    what = "fit artifact" if target.endswith(".json") else "spec"
    if target == "-":
        data, where = read_stream(sys.stdin.buffer, what, MAX_JSON_BYTES), "<stdin>"
    elif (os.path.lexists(target) or os.sep in target
          or target.endswith((".yaml", ".yml", ".json"))):
        data, where = read_file(target, what, MAX_JSON_BYTES), target
    else:
        return "function", None, target
    json_name = target.endswith(".json")
    try:
        parsed = json.loads(decode(data, where))
    except (ValueError, RecursionError):  # not JSON: YAML, unless named .json and no YAML mapping either
        parsed = _yaml_mapping(data, where)
        if parsed is None:
            return ("artifact" if json_name else "spec"), data, where
    if isinstance(parsed, dict) and "schema" not in parsed and (
            "function" in parsed or "expr" in parsed or not json_name):
        return "spec", data, where
    return ("artifact" if json_name or isinstance(parsed, dict) else "spec"), data, where


def _yaml_mapping(data: bytes, where: str) -> dict | None:
    from approxgen.safeload import load_yaml_bytes

    try:
        parsed = load_yaml_bytes(data, where)
    except ApproxgenError:
        return None
    return parsed if isinstance(parsed, dict) else None


def raw_from_target(target: str, flags: dict, read: tuple | None = None) -> tuple[dict, str]:
    """The raw spec mapping (flags laid over it) of a spec file, stdin (``-``) or a function
    name, and the source its errors name."""
    from approxgen import spec as specs

    kind, text, where = read or read_target(target)
    if kind == "artifact":
        from approxgen.blocks.artifact import is_block_artifact

        try:
            block = is_block_artifact(json.loads(text))
        except (ValueError, RecursionError):
            block = False
        raise ApproxgenError("is a block artifact, not a spec: emit and verify take it as it is"
                             if block else "is a fit artifact, not a spec: emit, verify, cost "
                             "and report take it as it is", where)
    if kind == "spec":
        stem = None if target == "-" else Path(target).stem
        raw, source = specs.loads_yaml(text, where, stem=stem), where
    else:
        raw, source = {"function": target}, "<flags>"
    return specs.merge(raw, flag_overrides(flags)), source


def spec_from_target(target: str, flags: dict, read: tuple | None = None):
    """A spec from a spec file, stdin (``-``) or a function name, with flags laid over it."""
    from approxgen import spec as specs

    return specs.resolve(*raw_from_target(target, flags, read))


def quiet_option(what: str):
    """``-q/--quiet``, which every command takes: ``what`` it silences (progress too)."""
    return click.option("-q", "--quiet", is_flag=True, help=f"{what}; no progress.")


def load_target(target: str, flags: dict, quiet: bool = True, announce: bool = False,
                allow_blocks: bool = False):
    """A Fit from an artifact, a spec file, stdin (``-``) or a function name (fitting first,
    with progress unless ``quiet``; ``announce``: then, when the spec left the segment count
    to the fit (``segments: auto``), the fit's summary on stderr: what it chose).
    ``allow_blocks``: a block spec gives its block (:mod:`approxgen.blocks`), else it is refused."""
    set_progress(False, quiet)
    read = read_target(target)
    if read[0] == "artifact":
        from approxgen.blocks import Block, artifact

        given = [k for k, v in flag_overrides(flags).items() if v is not None]
        if given:
            raise ApproxgenError(f"fit flags such as --{given[0].split('.')[-1]} apply to a spec "
                                 f"or function, not to an artifact", read[2])
        loaded = artifact.loads_any(read[1], read[2])
        if isinstance(loaded, Block) and not allow_blocks:
            raise ApproxgenError(BLOCKS_ONLY, f"{read[2]}: block")
        return loaded
    block, plan = _block_or_plan(target, flags, read)
    if block is not None:
        if not allow_blocks:
            raise ApproxgenError(BLOCKS_ONLY, f"{read[2]}: block")
        return block
    import time

    started = time.perf_counter()
    spec = plan.spec
    fit = fit_plan(plan, progress=not quiet)
    if announce and not quiet and spec.segments == "auto":
        from approxgen.cli.summary import summary

        click.echo(summary(fit, time.perf_counter() - started), err=True)
    return fit


BLOCKS_ONLY = "a block takes only approxgen emit, verify and build (and fit) so far"


def refuse_given(options, problem: str, where: str) -> None:
    """Refuse (``FLAG problem``, at ``where``) the first of ``options`` (``(parameter name,
    flag)``) given on the command line rather than left at its default."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    for name, flag in options:
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT):
            raise ApproxgenError(f"{flag} {problem}", where)


def _block_or_plan(target: str, flags: dict, read: tuple):
    """``(block, None)`` when TARGET is a block spec (:mod:`approxgen.blocks`; fit flags do not
    apply to one), else ``(None, plan)`` (its ``calibrate:`` key read): the spec file is parsed
    once for both."""
    from approxgen import blocks, fitting

    raw, source = raw_from_target(target, flags, read)
    if not blocks.is_block_spec(raw):
        return None, fitting.plan(raw, source)
    return block_of(raw, source, flags, read[2]), None


def block_of(raw: dict, source: str, flags: dict, where: str):
    """The block of a block spec's raw mapping (:func:`approxgen.blocks.load`): fit flags do
    not apply to one (refused, naming ``where``)."""
    from approxgen import blocks

    given = [k for k, v in flag_overrides(flags).items() if v is not None]
    if given:
        raise ApproxgenError(f"fit flags such as --{given[0].split('.')[-1]} do not apply to a "
                             f"block spec", where)
    return blocks.load(raw, source)


def fit_plan(plan, progress: bool = False):
    """Fit a :class:`approxgen.fitting.Plan` (calibrated or not); an error of the model's
    integer contract (raised without a location, such as an accumulator over 62 bits) names the
    spec's coef_format (file and key, or the flag)."""
    try:
        return plan.fit(progress=progress)
    except ApproxgenError as exc:
        if exc.where is not None:
            raise
        raise ApproxgenError(exc.message, plan.spec.at("coef_format")) from None


def write_output(path: str | None, text: str, inputs=(), flag: str | None = None) -> None:
    """Write ``text`` to ``path`` (stdout for None or ``-``): see :mod:`approxgen.outputs`."""
    from approxgen import outputs

    outputs.write_all([(path, text)], inputs, [flag] if flag else None)


def input_paths(*targets: str | None) -> list[str]:
    """The given targets that name existing files (the inputs no output may overwrite)."""
    return [t for t in targets if t is not None and t != "-" and os.path.lexists(t)]
