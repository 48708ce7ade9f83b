"""``approxgen import model.onnx --out specs/``: one spec per activation of a QDQ ONNX graph."""

from __future__ import annotations

import click

from approxgen.cli.common import Command, InputArgument, OutputOption, quiet_option


@click.command("import", cls=Command)
@click.argument("model", type=click.Path(), cls=InputArgument)
@click.option("-o", "--out", "out_dir", required=True, cls=OutputOption, directory=True,
              help="Directory for the specs (created if missing).")
@quiet_option("No line per spec")
def import_command(model, out_dir, quiet):
    """Write NAME.yaml into OUT for each activation of the QDQ-quantized ONNX MODEL (Gelu,
    Sigmoid, Tanh, HardSwish, x * Sigmoid(x) as silu, the erf GELU subgraph), with the input
    and output scales and types of its DequantizeLinear and QuantizeLinear; names from the
    node names. Nonzero zero points are refused, naming the node. Needs approxgen[onnx]."""
    from approxgen import onnx_import

    for path in onnx_import.write_specs(model, out_dir):
        if not quiet:
            click.echo(str(path))
