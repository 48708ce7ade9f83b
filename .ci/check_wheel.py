"""CI: build the wheel, install it into a fresh venv, and run approxgen from it (issue 22, 1).

An editable install (``pip install -e``) imports the checkout, so it cannot show a package the
wheel leaves out. This script builds the wheel from the checkout, compares its files with the
source tree (every module under approxgen/ and every template under templates/), installs it into
a fresh venv (dependencies from the package index, as ``pip install approxgen`` would), and from a
directory outside the checkout runs that venv's own ``bin/approxgen``: fit, emit c, verify.

Usage: python .ci/check_wheel.py [PYTHON]  (PYTHON makes the venv; default: this interpreter).
Exit status 0 when all of it works, 1 (naming the step) when not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(step: str, args: list, cwd: Path) -> None:
    print(f"check_wheel: {step}", flush=True)
    result = subprocess.run([str(a) for a in args], cwd=cwd)
    if result.returncode != 0:
        sys.exit(f"check_wheel: FAILED ({step}): exit status {result.returncode}")


def source_files() -> set[str]:
    """What the wheel must hold: the package's modules and the templates (as approxgen/templates)."""
    files = {str(p.relative_to(ROOT)) for p in (ROOT / "approxgen").rglob("*.py")}
    files |= {"approxgen/templates/" + str(p.relative_to(ROOT / "templates"))
              for p in (ROOT / "templates").rglob("*") if p.suffix in (".py", ".j2")}
    return {f for f in files if "__pycache__" not in f}


def main() -> None:
    python = sys.argv[1] if len(sys.argv) > 1 else sys.executable
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="approxgen-wheel-") as tmp:
        work = Path(tmp)
        # a copy of the tree without build/ or *.egg-info: a stale build/lib would hide a package
        # the configuration leaves out
        shutil.copytree(ROOT, work / "src", ignore=shutil.ignore_patterns(
            ".git", "venv", ".venv", "build", "dist", "*.egg-info", "__pycache__", "out"))
        run("build the wheel", [python, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                                work / "dist", work / "src"], work)
        wheels = sorted((work / "dist").glob("approxgen-*.whl"))
        if len(wheels) != 1:
            sys.exit(f"check_wheel: FAILED: expected one wheel, found {wheels}")
        with zipfile.ZipFile(wheels[0]) as archive:
            shipped = {n for n in archive.namelist() if n.startswith("approxgen/")}
        missing, extra = sorted(source_files() - shipped), sorted(shipped - source_files())
        if missing or extra:
            sys.exit(f"check_wheel: FAILED: the wheel's modules differ from the source tree: "
                     f"missing {missing}, not in the tree {extra}")
        print(f"check_wheel: the wheel holds the {len(shipped)} files of the source tree")
        venv = work / "venv"
        run("make a fresh venv", [python, "-m", "venv", venv], work)
        run("install the wheel", [venv / "bin" / "python", "-m", "pip", "install", "-q",
                                  wheels[0]], work)
        app = venv / "bin" / "approxgen"
        run("import from the venv", [venv / "bin" / "python", "-c",
                                     f"import approxgen, sys; "
                                     f"sys.exit(not approxgen.__file__.startswith({str(venv)!r}))"],
            work)
        run("approxgen fit", [app, "fit", "gelu", "--bits", "8", "-q", "-o", "x.json"], work)
        run("approxgen emit c", [app, "emit", "c", "x.json", "-o", "x.h"], work)
        run("approxgen verify", [app, "verify", "x.json", "--strict"], work)
    print(f"check_wheel: ok in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
