"""The block artifact: a versioned JSON file holding a block (:mod:`approxgen.blocks`) whole.

It records the block's canonical spec (:meth:`~approxgen.blocks.Block.canonical`: every key
explicit, gamma/beta inline as their quantized values), each inner fit as its own fit artifact
(:mod:`approxgen.artifact`, keyed as :meth:`~approxgen.blocks.Block.inner_fits` names them),
the block's metrics on its stated rows (:func:`metric_rows`) and a ``digest``, with the fit
artifact's header conventions (``schema``, ``schema_version``, ``tool_version``, ``spec_hash``).
No timestamps. Loading re-validates all of it: each inner fit as a fit artifact is, the spec by
the block module's ``from_raw`` (taking the stored inner fits: nothing is refitted) and equal to
the canonical spec of the block it gives, the metrics recomputed, and last the digest.
"""

from __future__ import annotations

import json
import re

import numpy as np

from approxgen.artifact import BLOCK_SCHEMA as SCHEMA
from approxgen.errors import ApproxgenError
from approxgen.version import __version__

SCHEMA_VERSION = 1
TOP_KEYS = {"schema", "schema_version", "tool_version", "block", "spec_hash", "spec",
            "inner_fits", "metrics", "digest"}
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
METRIC_SEED, METRIC_COUNT = 2026, 4  # the rows of the recorded metrics (metric_rows)


def metric_rows(block) -> np.ndarray:
    """The rows the artifact's metrics are measured on: ``METRIC_COUNT`` of each kind of the
    block's stated seeded and adversarial rows (``sample_rows``) at its full length, seed
    ``METRIC_SEED``."""
    rows = block.sample_rows(block.length, METRIC_COUNT, METRIC_SEED).values()
    return np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])


def spec_hash(canonical: dict) -> str:
    """The first 16 hex digits of the sha256 of a canonical block spec's canonical JSON (as a
    fit's spec_hash; a block spec has no ``digest`` key, :func:`approxgen.artifact.digest`)."""
    from approxgen.artifact import digest

    return digest(canonical)[:16]


def to_json(block) -> dict:
    """The artifact of ``block`` as a JSON mapping."""
    from approxgen.artifact import digest

    canonical = block.canonical()
    data = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "tool_version": __version__,
            "block": block.kind, "spec_hash": spec_hash(canonical), "spec": canonical,
            "inner_fits": {key: fit.to_json() for key, fit in block.inner_fits().items()},
            "metrics": block.metrics(metric_rows(block))}
    data["digest"] = digest(data)
    return data


def dumps(block) -> str:
    """The artifact's JSON text (sorted keys, indented, never NaN or Infinity)."""
    try:
        return json.dumps(to_json(block), indent=2, sort_keys=True, allow_nan=False) + "\n"
    except ValueError:
        raise ApproxgenError("the block holds a number that is not finite (its metrics)",
                             block.name) from None


def save(block, path) -> None:
    """Write the artifact of ``block`` to ``path`` atomically (never half a file)."""
    from approxgen.artifact import _path
    from approxgen.outputs import write_all

    write_all([(_path(path, "save(path)"), dumps(block))])


def is_block_artifact(data) -> bool:
    """Whether parsed JSON claims to be a block artifact (its ``schema``)."""
    return isinstance(data, dict) and data.get("schema") == SCHEMA


def loads(text: str | bytes, where: str = "<block>"):
    """Parse and fully re-validate a block artifact (see the module); the block it holds.
    Every problem is one ApproxgenError naming ``where`` and the key."""
    from approxgen.artifact import parse_json

    return from_json(parse_json(text, where, "block artifact"), where)


def from_json(data, where: str):
    """The block of a parsed artifact, re-validated (see :func:`loads`)."""
    from approxgen import artifact, blocks

    if not is_block_artifact(data):
        from approxgen.artifact import SCHEMA as FIT_SCHEMA

        if isinstance(data, dict) and data.get("schema") == FIT_SCHEMA:
            raise ApproxgenError("is a fit artifact, not a block artifact", where)
        raise ApproxgenError(f"not an approxgen block artifact (no \"schema\": \"{SCHEMA}\")",
                             where)
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ApproxgenError("corrupted block artifact: bad schema_version", where)
    if version != SCHEMA_VERSION:
        raise ApproxgenError(f"block artifact has schema {version}; this approxgen "
                             f"{__version__} reads {SCHEMA_VERSION}: fit the block spec again",
                             where)
    _keys(data, TOP_KEYS, "", where)
    if not isinstance(data["tool_version"], str) or \
            not artifact._VERSION_RE.match(data["tool_version"]):
        raise ApproxgenError("corrupted block artifact: tool_version", where)
    kind, spec = data["block"], data["spec"]
    if not isinstance(kind, str) or kind not in blocks.BLOCKS:
        raise ApproxgenError(f"corrupted block artifact: block: unknown block {kind!r} (one of "
                             f"{', '.join(blocks.BLOCKS)})", where)
    if not isinstance(spec, dict):
        raise ApproxgenError("corrupted block artifact: spec must be a mapping", where)
    if spec.get("block") != kind:
        raise ApproxgenError("corrupted block artifact: spec.block differs from block", where)
    if data["spec_hash"] != spec_hash(spec):
        raise ApproxgenError("corrupted block artifact: spec_hash does not match the spec",
                             where)
    if not isinstance(data["inner_fits"], dict) or not all(map(_KEY_RE.match,
                                                                 data["inner_fits"])):
        raise ApproxgenError("corrupted block artifact: inner_fits must be a mapping of "
                             "identifiers to fit artifacts", where)
    fits = {}
    for key, fit_data in sorted(data["inner_fits"].items()):
        try:
            fits[key] = artifact.from_json(fit_data, where)
        except ApproxgenError as exc:
            raise ApproxgenError(f"corrupted block artifact: inner_fits.{key}: {exc.message}",
                                 where) from None
    with blocks.stored_fits(fits):
        try:
            block = blocks.load(spec, f"{where}: spec")
        except ApproxgenError as exc:
            at = exc.where or ""
            at = at[len(where) + 2:] if at.startswith(f"{where}: ") else at
            raise ApproxgenError(f"corrupted block artifact: {at + ': ' if at else ''}"
                                 f"{exc.message}", where) from None
    inner = block.inner_fits()
    if set(inner) != set(fits):
        raise ApproxgenError(f"corrupted block artifact: inner_fits holds {sorted(fits)}, the "
                             f"block takes {sorted(inner)}", where)
    stored_as = {id(fit): key for key, fit in fits.items()}
    for key in sorted(fits):
        if inner[key] is fits[key]:
            continue
        if id(inner[key]) in stored_as:
            raise ApproxgenError(f"corrupted block artifact: inner_fits.{key} is stored as "
                                 f"inner_fits.{stored_as[id(inner[key])]}", where)
        # a block module's bug, not the file's: it fitted instead
        raise ApproxgenError(f"the {kind} block made its inner fit {key} anew instead of "
                             f"taking the stored one (approxgen.blocks.inner_fit)", where)
    canonical = block.canonical()
    if not artifact._same_json(canonical, spec):
        key = next(k for k in sorted(set(map(str, spec)) | set(canonical))
                   if not artifact._same_json(spec.get(k), canonical.get(k)))
        shown = key if _KEY_RE.match(key) else repr(key)
        raise ApproxgenError(f"corrupted block artifact: spec.{shown} is not in canonical form",
                             where)
    if not artifact._same_metrics(data["metrics"], block.metrics(metric_rows(block))):
        raise ApproxgenError("corrupted block artifact: stored metrics do not match the block",
                             where)
    if not isinstance(data["digest"], str) or data["digest"] != artifact.digest(data):
        raise ApproxgenError("corrupted block artifact: digest does not match its content "
                             "(hand-edited?): fit it again", where)
    return block


def cached_fits(path) -> dict:
    """The inner fits (``{key: Fit}``) of the block artifact at ``path`` that this approxgen
    version wrote and that re-validate as fit artifacts, whatever the rest of it holds; none when
    it is no readable block artifact (a cache: :func:`approxgen.blocks.stored_fits` with
    ``fallback``)."""
    from approxgen import artifact
    from approxgen.errors import OSFailure
    from approxgen.safeload import MAX_JSON_BYTES, read_file

    try:
        data = artifact.parse_json(read_file(path, "block artifact", MAX_JSON_BYTES), str(path))
    except (ApproxgenError, OSFailure):
        return {}
    inner = data.get("inner_fits") if is_block_artifact(data) else None
    fits = {}
    for key, fit_data in (inner.items() if isinstance(inner, dict) else ()):
        if not isinstance(fit_data, dict) or fit_data.get("tool_version") != __version__:
            continue
        try:
            fits[key] = artifact.from_json(fit_data, str(path))
        except ApproxgenError:
            continue
    return fits


def _keys(data, allowed: set, prefix: str, where: str) -> None:
    """``data`` is a mapping with exactly the keys ``allowed`` (a block artifact's error)."""
    from approxgen import artifact

    artifact._keys(data, allowed, prefix, where, "block artifact")


def load(path):
    """Read and re-validate the block artifact at ``path``."""
    return loads(_read(path, "block artifact"), str(path))


def loads_any(text: str | bytes, where: str = "<artifact>"):
    """A fit artifact's Fit (:mod:`approxgen.artifact`), or a block artifact's block, by the
    ``schema`` it names; either re-validated in full."""
    from approxgen import artifact

    data = artifact.parse_json(text, where)
    return from_json(data, where) if is_block_artifact(data) else artifact.from_json(data, where)


def load_any(path):
    """:func:`loads_any` of the file at ``path``."""
    return loads_any(_read(path, "artifact"), str(path))


def _read(path, what: str) -> bytes:
    from approxgen.artifact import _path
    from approxgen.safeload import MAX_JSON_BYTES, read_file

    return read_file(_path(path, "load(path)"), what, MAX_JSON_BYTES)
