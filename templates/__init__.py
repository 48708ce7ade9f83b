"""Jinja templates of the emitters (installed as the package approxgen.templates)."""
