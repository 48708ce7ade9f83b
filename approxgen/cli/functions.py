"""``approxgen functions``: list the built-in functions and the expr vocabulary."""

import click


@click.command("functions")
def functions_command():
    """List built-in functions with their default ranges and domains."""
    from approxgen.expr import CONSTANTS, FUNCTIONS
    from approxgen.functions import ALIASES, BUILTINS

    click.echo(f"{'name':<10} {'input range':<16} {'domain':<14} description")
    for fn in BUILTINS.values():
        lo, hi = fn.input_range
        rng = f"[{lo:g}, {hi:g}) {'s' if fn.input_signed else 'u'}"
        dom = f"[{fn.domain[0]:g}, {fn.domain[1]:g}]" if fn.domain else "all codes"
        click.echo(f"{fn.name:<10} {rng:<16} {dom:<14} {fn.description}")
    click.echo("aliases: " + ", ".join(f"{a} = {t}" for a, t in ALIASES.items()))
    click.echo("expr: an expression in x with + - * / **, comparisons, "
               + ", ".join(sorted(CONSTANTS)) + " and " + ", ".join(sorted(FUNCTIONS)))
