"""What several subcommands share: the fit flags, turning a target into a Fit, safe writing."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import click

from approxgen import artifact, spec as specs
from approxgen.errors import ApproxgenError

FIT_FLAGS = [
    click.option("--bits", type=int, help="Input and output width (default scales)."),
    click.option("--in-bits", type=int, help="Input width (2..16)."),
    click.option("--out-bits", type=int, help="Output width (2..32)."),
    click.option("--in-scale", help="Input scale: a number or 2^k."),
    click.option("--out-scale", help="Output scale: a number, 2^k or auto."),
    click.option("--unsigned", is_flag=True, default=None, help="Unsigned input codes."),
    click.option("--domain", nargs=2, type=float, help="Fitting domain LO HI (real units)."),
    click.option("--form", help="pwl or table."),
    click.option("--segments", help="Number of segments, or auto (with --max-error-lsb)."),
    click.option("--max-error-lsb", type=float, help="Error budget for --segments auto."),
    click.option("--coef-format", help="auto, or BITS:FRAC for slopes and intercepts (e.g. 8:6)."),
    click.option("--search", help="Breakpoint search: exact (the default), uniform, pso, ga."),
    click.option("--objective", help="max (minimax) or mse."),
    click.option("--seed", type=int, help="Random seed of the search."),
    click.option("--name", help="Identifier of the emitted function/module."),
    click.option("--acc-bits", help="pwl accumulator: auto (32 bits when that costs at most "
                                    "1/16 LSB), 32 or 64."),
]


def fit_flags(command):
    """Decorate ``command`` with every fit flag (collected into one ``flags`` dict)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        flags = {name: kwargs.pop(name) for name in _FLAG_NAMES}
        return command(*args, flags=flags, **kwargs)

    for option in reversed(FIT_FLAGS):
        wrapper = option(wrapper)
    return wrapper


_FLAG_NAMES = ["bits", "in_bits", "out_bits", "in_scale", "out_scale", "unsigned", "domain",
               "form", "segments", "max_error_lsb", "coef_format", "search", "objective", "seed",
               "name", "acc_bits"]


segment_search_option = click.option(
    "--segment-search", type=click.Choice(["auto", "chain", "bucket", "binary"]), default="auto",
    show_default=True,
    help="C, pwl: how a code finds its segment. chain: compare-and-mask over every breakpoint "
         "(no extra memory, vectorizes, O(segments)); bucket: a small table on the top input "
         "bits, one load and a compare per breakpoint inside the code's bucket; binary: "
         "branch-free binary search. auto: chain up to 8 segments (with a 32-bit accumulator), "
         "else bucket with buckets of at least 64 codes holding at most 3 breakpoints, else "
         "chain up to 48 segments, else binary.")


def flag_overrides(flags: dict) -> dict:
    """Map CLI flags to dotted spec keys (``None`` means not given)."""
    in_bits = flags["in_bits"] if flags["in_bits"] is not None else flags["bits"]
    out_bits = flags["out_bits"] if flags["out_bits"] is not None else flags["bits"]
    return {
        "input.bits": in_bits, "output.bits": out_bits,
        "input.scale": flags["in_scale"], "output.scale": flags["out_scale"],
        "input.signed": False if flags["unsigned"] else None,
        "domain": list(flags["domain"]) if flags["domain"] else None,
        "form": flags["form"], "segments": flags["segments"],
        "max_error_lsb": flags["max_error_lsb"], "coef_format": flags["coef_format"],
        "search": flags["search"], "objective": flags["objective"], "seed": flags["seed"],
        "name": flags["name"], "acc_bits": flags["acc_bits"],
    }


def spec_from_target(target: str, flags: dict) -> specs.Spec:
    """A spec from a YAML file or a built-in function name, with flags laid over it."""
    overrides = flag_overrides(flags)
    if target.endswith((".yaml", ".yml")):
        raw, source = specs.load_yaml(target), target
    else:
        raw, source = {"function": target}, "<flags>"
    return specs.resolve(specs.merge(raw, overrides), source)


def load_target(target: str, flags: dict, quiet: bool = True) -> artifact.Fit:
    """A Fit from an artifact (``.json``), a spec file or a function name (fitting first)."""
    if target.endswith(".json"):
        given = [k for k, v in flag_overrides(flags).items() if v is not None]
        if given:
            raise ApproxgenError(f"fit flags such as --{given[0].split('.')[-1]} apply to a spec "
                                 f"or function, not to a fit artifact", target)
        return artifact.load(target)
    from approxgen.fit import fit

    return fit(spec_from_target(target, flags), progress=not quiet)


def write_output(path: str | None, text: str) -> None:
    """Write ``text`` to ``path`` atomically (or stdout for None or ``-``): never half a file."""
    if path is None or path == "-":
        click.echo(text, nl=False)
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ApproxgenError("output directory does not exist", str(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
