"""``approxgen cost``: hardware cost of a fit (placeholder until the Verilog backend lands)."""

import click

from approxgen.errors import ApproxgenError


@click.command("cost")
@click.argument("target")
def cost_command(target):
    """Hardware cost of each part of TARGET (estimate, and Yosys when installed)."""
    raise ApproxgenError("cost is not implemented yet")
