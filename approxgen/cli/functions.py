"""``approxgen functions``: list the built-in functions and the expr vocabulary."""

import click


@click.command("functions")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="Only the names, one per line.")
def functions_command(as_json, quiet):
    """List built-in functions with their default ranges and domains."""
    from approxgen.expr import CONSTANTS, FUNCTIONS
    from approxgen.functions import ALIASES, BUILTINS

    if as_json:
        import json

        data = {"functions": [{"name": fn.name, "description": fn.description,
                               "input_range": list(fn.input_range) if fn.input_range else None,
                               "input_signed": fn.input_signed,
                               "domain": list(fn.domain) if fn.domain else None}
                              for fn in BUILTINS.values()],
                "aliases": dict(ALIASES),
                "expr": {"constants": sorted(CONSTANTS), "functions": sorted(FUNCTIONS)}}
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if quiet:
        click.echo("\n".join(BUILTINS))
        return
    click.echo(f"{'name':<10} {'input range':<16} {'domain':<14} description")
    for fn in BUILTINS.values():
        lo, hi = fn.input_range
        rng = f"[{lo:g}, {hi:g}) {'s' if fn.input_signed else 'u'}"
        dom = f"[{fn.domain[0]:g}, {fn.domain[1]:g}]" if fn.domain else "all codes"
        click.echo(f"{fn.name:<10} {rng:<16} {dom:<14} {fn.description}")
    click.echo("aliases: " + ", ".join(f"{a} = {t}" for a, t in ALIASES.items()))
    click.echo("expr: an expression in x with + - * / **, comparisons (1.0 or 0.0), "
               + ", ".join(sorted(CONSTANTS)) + " and " + ", ".join(sorted(FUNCTIONS)))
