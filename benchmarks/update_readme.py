"""Copy each ``benchmarks/results/NAME.md`` into README.md between ``<!-- bench:NAME -->`` markers."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    for result in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        name = result.stem
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
        if not pattern.search(text):
            print(f"README.md has no markers for {name}; skipped")
            continue
        body = result.read_text().strip() + "\n"
        text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    readme.write_text(text)


if __name__ == "__main__":
    main()
