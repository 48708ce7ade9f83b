"""Allow ``python -m approxgen``."""

from approxgen.cli import main

main()
