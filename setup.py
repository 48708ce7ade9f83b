"""Package discovery: every package under approxgen/ plus approxgen.templates (templates/).

pyproject.toml holds the metadata; setuptools' ``packages.find`` cannot add a package that lives
outside the discovered tree, so the one extra package is appended here.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["approxgen", "approxgen.*"]) + ["approxgen.templates"])
