"""Read rule files into plain Python data plus the line and column of every key and value.

ruamel.yaml's round-trip loader records positions on its own container
types. Rule files are converted to plain dicts, lists and scalars once. The
positions go into a `SourceMap` keyed by the path of each node, such as
``("rules", 2, "args", "mostly")``. Validation errors from pydantic and
great-expectations carry such paths, so they map back to the exact spot in
the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat

from worker.rules.errors import LintError

NodePath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Position:
    """A spot in a file; line and column count from 1."""

    file: Path
    line: int
    column: int


@dataclass
class SourceMap:
    """Positions of the keys and values of one YAML tree, by node path."""

    root: Position
    keys: dict[NodePath, Position] = field(default_factory=dict)
    values: dict[NodePath, Position] = field(default_factory=dict)

    def value(self, path: NodePath) -> Position:
        """Return the position of the value at `path`, or of its nearest located ancestor."""
        for end in range(len(path), 0, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return self.root

    def key(self, path: NodePath) -> Position:
        """Return the position of the key at `path`, falling back to its value's position."""
        return self.keys.get(path) or self.value(path)

    def subtree(self, prefix: NodePath) -> SourceMap:
        """Return the positions under `prefix`, with `prefix` removed from their paths."""
        cut = len(prefix)
        result = SourceMap(self.value(prefix))
        result.keys = {p[cut:]: pos for p, pos in self.keys.items() if p[:cut] == prefix and len(p) > cut}
        result.values = {p[cut:]: pos for p, pos in self.values.items() if p[:cut] == prefix and len(p) > cut}
        return result

    def graft(self, prefix: NodePath, other: SourceMap, key: Position | None = None) -> None:
        """Replace the positions under `prefix` with `other`'s; `key` locates the key of `prefix` itself."""
        self.drop(prefix)
        self.values[prefix] = other.root
        if key is not None:
            self.keys[prefix] = key
        for path, pos in other.keys.items():
            self.keys[prefix + path] = pos
        for path, pos in other.values.items():
            self.values[prefix + path] = pos

    def copy_from(self, other: SourceMap, source: NodePath, target: NodePath) -> None:
        """Locate the node at `target` where `other` locates the node at `source`."""
        self.graft(target, other.subtree(source), other.keys.get(source))

    def drop(self, prefix: NodePath) -> None:
        """Forget every position at or under `prefix`."""
        cut = len(prefix)
        self.keys = {p: pos for p, pos in self.keys.items() if p[:cut] != prefix}
        self.values = {p: pos for p, pos in self.values.items() if p[:cut] != prefix}


@dataclass
class Document:
    """One YAML document of a rule file as plain data with its positions.

    `lossy_floats` lists paths of numbers that YAML read differently from
    how they were written (``1.10`` becomes ``1.1``), so that a version
    written that way can be reported.
    """

    file: Path
    index: int
    data: Any
    positions: SourceMap
    lossy_floats: set[NodePath] = field(default_factory=set)


def load_documents(file: Path, content: bytes) -> tuple[list[Document], list[LintError]]:
    """Parse every YAML document in `content`, the bytes of `file`; syntax errors come back as lint errors."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        return [], [LintError(file, 1, 1, f"the rule file is not UTF-8 text: {error}", "file-unreadable")]
    yaml = YAML(typ="rt")
    documents: list[Document] = []
    try:
        for index, node in enumerate(yaml.load_all(text)):
            if node is None:
                continue
            documents.append(_convert_document(file, index, node))
    except MarkedYAMLError as error:
        return [], [_syntax_error(file, error)]
    except YAMLError as error:
        return [], [LintError(file, 1, 1, f"invalid YAML: {error}", "yaml-syntax")]
    return documents, []


def _syntax_error(file: Path, error: MarkedYAMLError) -> LintError:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = error.problem or str(error)
    if "duplicate key" in problem:
        return LintError(file, line, column, f"{problem}; keep one of them", "duplicate-key")
    hint = ""
    if "\t" in problem or "'\\t'" in problem:
        hint = "; indent with spaces, YAML does not allow tabs"
    elif "mapping values are not allowed" in problem:
        hint = "; a key is probably indented under a scalar value, or a value containing ': ' needs quotes"
    elif "expected <block end>" in problem:
        hint = "; check the indentation of this line against the lines above"
    context = f" ({error.context})" if error.context else ""
    return LintError(file, line, column, f"invalid YAML: {problem}{context}{hint}", "yaml-syntax")


def _convert_document(file: Path, index: int, node: Any) -> Document:
    line, column = _node_start(node)
    positions = SourceMap(Position(file, line, column))
    document = Document(file, index, None, positions)
    document.data = _convert(node, (), document)
    return document


def _node_start(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return 1, 1
    return lc.line + 1, lc.col + 1


def _convert(node: Any, path: NodePath, document: Document) -> Any:
    if isinstance(node, CommentedMap):
        return {_plain_key(key): _convert_entry(node, key, path, document) for key in node}
    if isinstance(node, CommentedSeq):
        return [_convert_item(node, index, path, document) for index in range(len(node))]
    return _plain_scalar(node, path, document)


def _convert_entry(node: CommentedMap, key: Any, path: NodePath, document: Document) -> Any:
    plain_key = _plain_key(key)
    child = path + (plain_key,)
    file = document.file
    try:
        key_line, key_column = node.lc.key(key)
        key_position = Position(file, key_line + 1, key_column + 1)
    except (KeyError, TypeError):
        # Keys merged in with `<<:` have no position of their own.
        key_position = document.positions.value(path)
    document.positions.keys[child] = key_position
    value = node[key]
    if value is None or isinstance(value, CommentedMap | CommentedSeq) and not value:
        document.positions.values[child] = key_position
    else:
        try:
            value_line, value_column = node.lc.value(key)
            document.positions.values[child] = Position(file, value_line + 1, value_column + 1)
        except (KeyError, TypeError):
            document.positions.values[child] = key_position
    return _convert(value, child, document)


def _convert_item(node: CommentedSeq, index: int, path: NodePath, document: Document) -> Any:
    child = path + (index,)
    try:
        line, column = node.lc.item(index)
        position = Position(document.file, line + 1, column + 1)
    except (KeyError, TypeError):
        position = document.positions.value(path)
    document.positions.keys[child] = position
    document.positions.values[child] = position
    return _convert(node[index], child, document)


def _plain_key(key: Any) -> Any:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return bool(key)
    if isinstance(key, int):
        return int(key)
    return str(key)


def _plain_scalar(value: Any, path: NodePath, document: Document) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, ScalarFloat):
        plain = float(value)
        width = getattr(value, "_width", None)
        if width is not None and width != len(repr(plain)):
            document.lossy_floats.add(path)
        return plain
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
