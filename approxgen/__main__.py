"""Allow ``python -m approxgen`` (the same command, also for shell completion)."""

from approxgen.cli import main

main(prog_name="approxgen")
