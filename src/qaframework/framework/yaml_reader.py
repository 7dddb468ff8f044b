"""Reading a framework or roster file's YAML within limits, so no file can crash or stall it.

The file is read through :mod:`qaframework.untrusted` (a regular file of at most
:data:`MAX_FILE_BYTES`), then parsed by a safe loader that also refuses:

- nesting deeper than :data:`MAX_DEPTH`, checked while composing, before any recursion
  could run out of stack;
- more than :data:`MAX_ALIASES` aliases, an alias that refers to itself, and documents
  that aliases and ``<<:`` merges would expand past :data:`MAX_NODES` nodes (a "billion
  laughs" or merge-key bomb), measured on the composed nodes before anything is built;
- duplicate keys, keys that are not plain values, and values the constructors cannot
  build (``2027-02-30``, a 5,000-digit number), each named by line and column;
- text no database can store (a ``"\\0"`` or lone surrogate escape).

Every failure is a :class:`~qaframework.errors.FrameworkFileError`.

The pure-Python parser takes about 0.2 s for a 200-agency roster, and a check-deadlines
run reads its files twice (the run and its dashboards' subflow), so what a text parsed to
is kept for the process, by the text itself: a file read again is parsed again only if
its content changed, and each read gets its own copy.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from qaframework.errors import FrameworkFileError, UntrustedInputError, excerpt
from qaframework.untrusted import checked_text, decode_text, read_untrusted_file, shown_path

#: A framework file is tens of kilobytes; this is room for the largest partnership.
MAX_FILE_BYTES = 1024 * 1024
#: Mappings and lists nested deeper than this are refused (the framework needs about 6).
MAX_DEPTH = 50
#: At most this many aliases (``*name``) in one file.
MAX_ALIASES = 100
#: A file may stand for at most this many values once its aliases and merges are expanded.
MAX_NODES = 100_000

#: How many parsed texts are kept (a framework file and its roster, a few times over).
KEPT_TEXTS = 8

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

#: What each text parsed to (a mapping), oldest first.
_parsed: dict[str, Any] = {}
_parsed_lock = threading.Lock()


class _Refused(yaml.constructor.ConstructorError):
    """A limit or rule of ours, already worded for the officer."""


def _error(message: str, node_or_mark: Any) -> _Refused:
    return _Refused(None, None, message, getattr(node_or_mark, "start_mark", node_or_mark))


class _LimitedLoader(yaml.SafeLoader):
    """A safe YAML loader with limits on depth and aliases, refusing duplicate keys
    instead of keeping the last one."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _error(f"has more than {MAX_ALIASES} aliases: write the values out", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _error(f"is nested more than {MAX_DEPTH} levels deep: a framework needs only a few levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            data = super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - a constructor refusing a value, in whatever way
            raise _error(_unbuildable(node, exc), node) from None
        if isinstance(data, str):
            try:
                checked_text(data, field="")
            except UntrustedInputError as exc:
                raise _error(exc.reason, node) from None
        return data


def _unbuildable(node: Node, exc: Exception) -> str:
    if node.tag == _TIMESTAMP_TAG:
        return "is not a real date: write it as YYYY-MM-DD, for example 2027-04-01"
    if "digits" in str(exc):
        return "is a number too long to read"
    return f"cannot be read as a {node.tag.rpartition(':')[2] or 'value'}"


def _construct_mapping(loader: _LimitedLoader, node: MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # `<<:` merges defaults; the keys written out beside it win
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise _error("a key must be plain text, not a list or mapping", key_node)
        if key in seen:
            raise _error(f"duplicate key {excerpt(key)}: each key may appear once", key_node)
        seen.add(key)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_expansion(root: Node) -> None:
    """Refuse a node graph that refers to itself, or that stands for more than MAX_NODES
    values once aliases and merges are expanded (each node is visited once)."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        children = _children(node)
        if children_done:
            open_nodes.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_NODES:
                raise _error(f"expands to more than {MAX_NODES} values through its aliases or merges: write the values out", node)
            continue
        if id(node) in open_nodes:
            raise _error("an alias refers to the value it is part of", node)
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise _error("an alias refers to the value it is part of", child)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _load(text: str) -> Any:
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _where(text: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML does not allow
    if isinstance(position, int):
        before = text[:position]
        return f"line {before.count(chr(10)) + 1}, column {position - (before.rfind(chr(10)) + 1) + 1}"
    return ""


def _problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, _Refused):
        return str(exc.problem)
    if isinstance(exc, yaml.reader.ReaderError):
        return f"is not valid YAML: the character U+{exc.character:04X} is not allowed in a YAML file" if isinstance(exc.character, int) else "is not valid YAML"
    problem = getattr(exc, "problem", None) or "cannot be parsed"
    return "is not valid YAML: " + " ".join(str(problem).split())


def forget_parsed() -> None:
    """Parse every file afresh from now on, as a new process would (the benchmark times
    each flow run as a worker starts it)."""
    with _parsed_lock:
        _parsed.clear()


def read_yaml(path: Path) -> Any:
    """Parse one YAML file within the limits above, turning every failure into a
    FrameworkFileError naming the file and, where there is one, the line and column."""
    file = shown_path(path)
    try:
        text = decode_text(read_untrusted_file(path, limit=MAX_FILE_BYTES, what="framework or roster file"), field="")
    except UntrustedInputError as exc:
        raise FrameworkFileError(file, "", exc.reason) from None
    with _parsed_lock:
        kept = _parsed.get(text)
    if kept is not None:
        return copy.deepcopy(kept)
    try:
        data = _load(text)
    except yaml.YAMLError as exc:
        raise FrameworkFileError(file, _where(text, exc), _problem(exc)) from None
    if not isinstance(data, dict):
        raise FrameworkFileError(file, "", "expected a YAML mapping of settings at the top level")
    with _parsed_lock:
        while len(_parsed) >= KEPT_TEXTS:
            _parsed.pop(next(iter(_parsed)))  # the oldest
        _parsed[text] = copy.deepcopy(data)
    return data
