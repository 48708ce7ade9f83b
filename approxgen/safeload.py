"""Bounded parsing of untrusted YAML specs and JSON artifacts into plain data.

YAML (specs) is parsed by a safe loader that accepts only mappings, lists, strings, booleans,
null, integers (at most :data:`MAX_INT_DIGITS` digits) and finite floats, and refuses: anchors and
aliases (``&a`` / ``*a``: no alias bombs), duplicate keys, dates, sets, binary and other tagged
types, nesting deeper than :data:`MAX_DEPTH`, files over :data:`MAX_YAML_BYTES` and bytes that are
not UTF-8. JSON (artifacts) is limited to :data:`MAX_JSON_BYTES`, must be UTF-8, and refuses
``NaN``/``Infinity``, integers over :data:`MAX_INT_DIGITS` digits and deep nesting. Every refusal
is an :class:`ApproxgenError` naming the file (and line, for YAML).
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import BinaryIO

import yaml

from approxgen.errors import ApproxgenError, read_failure

MAX_YAML_BYTES = 1 << 20
MAX_JSON_BYTES = 64 << 20
MAX_DEPTH = 32
MAX_INT_DIGITS = 40


def decode(data: bytes, where: str) -> str:
    """UTF-8 text of ``data`` (a BOM is dropped), or a one-line refusal."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApproxgenError(f"not UTF-8 text (byte {exc.start})", where) from None


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


def open_file(path, what: str, limit: int, where: str | None = None) -> BinaryIO:
    """``path`` opened for reading in binary, when it is a regular file of at most ``limit``
    bytes: the one way approxgen opens an input file. The open never blocks (``O_NONBLOCK``: a
    FIFO is refused, not waited on); a FIFO, device (``/dev/zero``), socket or directory,
    followed through symlinks, is refused with one line (exit 2); OS errors are
    :func:`~approxgen.errors.read_failure`."""
    where = str(path) if where is None else where
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        if isinstance(exc, ValueError):
            raise ApproxgenError(f"cannot read {what}: the path holds a NUL byte", where) from None
        raise read_failure(exc, what, where) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ApproxgenError(f"cannot read {what}: is a directory", where)
        if not stat.S_ISREG(st.st_mode):
            raise ApproxgenError(f"cannot read {what}: not a regular file (a FIFO, device or "
                                 f"socket)", where)
        if st.st_size > limit:
            raise ApproxgenError(f"{what} is larger than {_size(limit)}", where)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_file(path, what: str, limit: int, where: str | None = None) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_file`), at most ``limit`` (a
    file that grows while read is refused too)."""
    where = str(path) if where is None else where
    with open_file(path, what, limit, where) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise read_failure(exc, what, where) from None
    if len(data) > limit:
        raise ApproxgenError(f"{what} is larger than {_size(limit)}", where)
    return data


def read_stream(stream: BinaryIO, what: str, limit: int, where: str = "<stdin>") -> bytes:
    """At most ``limit`` bytes of ``stream`` (stdin); more is refused."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ApproxgenError(f"{what} is larger than {_size(limit)}", where)
    return data


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys, deep nesting or non-plain types."""

    where = "<yaml>"

    def _refuse(self, node_or_mark, what: str):
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ApproxgenError(what, f"{self.where}{line}")

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._refuse(event.start_mark, "YAML aliases (*name) are not supported in a spec")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            self._refuse(event.start_mark, "YAML anchors (&name) are not supported in a spec")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                self._refuse(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._refuse(key_node, "YAML merge keys (<<) are not supported in a spec")
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    self._refuse(key_node, "a mapping key must be a plain value")
                if duplicate:
                    self._refuse(key_node, f"duplicate key {key!r}")
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        text = str(node.value).replace("_", "").lstrip("+-")
        if len(text) > MAX_INT_DIGITS:
            self._refuse(node, f"integer with {len(text)} digits is too large")
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            self._refuse(node, f"number {node.value!r} is not finite (or too large)")
        return value

    def refuse_tag(self, node):
        kind = node.tag.rsplit(":", 1)[-1]
        shown = node.value if isinstance(node.value, str) else node.tag
        self._refuse(node, f"a YAML {kind} value ({shown[:40]!r}) is not allowed: use numbers, "
                           f"strings, true/false, lists and mappings")


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
for _tag in ("timestamp", "binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.refuse_tag)
_Loader.add_constructor(None, _Loader.refuse_tag)


def load_yaml_bytes(data: bytes, where: str):
    """Parse a spec file's bytes into plain data (see the module docstring for the limits)."""
    if len(data) > MAX_YAML_BYTES:
        raise ApproxgenError(f"spec file is larger than {MAX_YAML_BYTES >> 10} KiB", where)
    text = decode(data, where)
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad:  # what PyYAML's reader refuses (a NUL byte, say): one line naming the line
        line = text.count("\n", 0, bad.start()) + 1
        raise ApproxgenError(f"malformed YAML: character U+{ord(bad.group()):04X} is not "
                             f"allowed", f"{where}:{line}")
    loader = _Loader(text)
    loader.where = where
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark is not None else where
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ApproxgenError(f"malformed YAML: {problem}", at) from None
    except RecursionError:
        raise ApproxgenError(f"nested deeper than {MAX_DEPTH} levels", where) from None
    finally:
        loader.dispose()


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer with {len(text)} digits is too large")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is too large")
    return value


def load_json_bytes(data: bytes, where: str, what: str = "JSON"):
    """Parse JSON bytes into plain data with the limits of the module docstring."""
    if len(data) > MAX_JSON_BYTES:
        raise ApproxgenError(f"{what} is larger than {MAX_JSON_BYTES >> 20} MiB", where)
    text = decode(data, where)
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_int,
                           parse_float=_float)
    except RecursionError:
        raise ApproxgenError(f"{what} is nested too deeply", where) from None
    except json.JSONDecodeError as exc:
        raise ApproxgenError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno})",
                             where) from None
    except ValueError as exc:
        raise ApproxgenError(f"{what}: {exc}", where) from None
    if _depth(value) > MAX_DEPTH:
        raise ApproxgenError(f"{what} is nested deeper than {MAX_DEPTH} levels", where)
    return value


def _depth(value) -> int:
    """Nesting depth of plain JSON data, iteratively (no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict)
                                                   else item))
    return deepest


def dumps_json(value, **kwargs) -> str:
    """``json.dumps`` that never writes NaN or Infinity (ValueError instead)."""
    return json.dumps(value, allow_nan=False, **kwargs)
