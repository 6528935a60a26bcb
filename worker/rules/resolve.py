"""Apply `extends` and `include`: merge a suite with the suites it inherits from.

A suite's parents are its `extends` suite, then every suite of each file in
`include`, in order. Later parents override earlier ones, and the suite's
own content overrides them all. Merging works on the raw YAML data, before model
validation, so a value keeps the file, line and column where it was written:

- `variables` and `policy` merge key by key.
- `applies_to` merges key by key, and its `metadata` conditions merge per
  metadata key, so an override may narrow a base suite's selection.
- `rules` keep the base order. A rule whose `id` matches an inherited rule
  overrides it: with `check` or `expectation` it replaces the inherited rule,
  otherwise its keys are laid over the inherited rule's and its `args` over
  the inherited args (``enabled: false`` alone switches a rule off). Other
  rules are appended.
- `suite`, `version`, `description` and `abstract` are never inherited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker.rules.errors import LintError
from worker.rules.keys import did_you_mean
from worker.rules.yaml_positions import Document, SourceMap

_OWN_KEYS = ("suite", "version", "description", "abstract")


@dataclass
class Layer:
    """Suite data with the positions of its values, possibly merged from several documents."""

    data: dict[str, Any]
    positions: SourceMap
    variables: dict[str, Any] = field(default_factory=dict)
    bases: list[str] = field(default_factory=list)


@dataclass
class SuiteSource:
    """One suite document, by name."""

    name: str
    document: Document

    @property
    def data(self) -> dict[str, Any]:
        return self.document.data


class Resolver:
    """Merge suites with their parents, reporting unknown parents and cycles.

    `suites` are all suites of the rule set by name; `includes` maps each
    included file (resolved path) to its suites.
    """

    def __init__(self, suites: dict[str, SuiteSource], includes: dict[Path, list[SuiteSource]]) -> None:
        self.suites = suites
        self.includes = includes
        self.errors: list[LintError] = []
        self._done: dict[str, Layer] = {}
        self._active: list[str] = []

    def resolve(self, name: str) -> Layer:
        """Return the suite `name` merged with everything it inherits."""
        if name in self._done:
            return self._done[name]
        source = self.suites[name]
        self._active.append(name)
        parents = self._parents(source)
        merged: Layer | None = None
        bases: list[str] = []
        for parent in parents:
            parent_layer = self.resolve(parent.name)
            merged = parent_layer if merged is None else overlay(merged, parent_layer, self.errors, parent.name)
            bases.extend(name for name in [parent.name, *parent_layer.bases] if name not in bases)
        self._active.pop()
        own = own_layer(source.document)
        result = own if merged is None else overlay(merged, own, self.errors, name)
        result.bases = bases
        self._done[name] = result
        return result

    def _parents(self, source: SuiteSource) -> list[SuiteSource]:
        parents: list[SuiteSource] = []
        positions = source.document.positions
        extends = source.data.get("extends")
        if isinstance(extends, str):
            parent = self._lookup(extends, source, positions, ("extends",))
            if parent is not None:
                parents.append(parent)
        include = source.data.get("include")
        entries: list[Any] = []
        if isinstance(include, str):
            entries = [include]
        elif isinstance(include, list):
            entries = include
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue
            path = ("include",) if isinstance(include, str) else ("include", index)
            target = (source.document.file.parent / entry).resolve()
            for parent in self.includes.get(target, []):
                if parent.name == source.name:
                    continue
                if self._closes_cycle(parent.name, source, positions, path):
                    continue
                parents.append(parent)
        return parents

    def _lookup(self, name: str, source: SuiteSource, positions: SourceMap, path: tuple[str | int, ...]) -> SuiteSource | None:
        parent = self.suites.get(name)
        if parent is None:
            where = positions.value(path)
            hint = did_you_mean(name, self.suites) or "; name a suite of this rule set"
            self.errors.append(
                LintError(where.file, where.line, where.column, f"suite {source.name} extends unknown suite {name!r}{hint}", "unknown-extends")
            )
            return None
        if self._closes_cycle(name, source, positions, path):
            return None
        return parent

    def _closes_cycle(self, name: str, source: SuiteSource, positions: SourceMap, path: tuple[str | int, ...]) -> bool:
        if name != source.name and name not in self._active:
            return False
        start = self._active.index(name) if name in self._active else len(self._active) - 1
        chain = " -> ".join([*self._active[start:], name])
        where = positions.value(path)
        self.errors.append(
            LintError(where.file, where.line, where.column, f"inheritance cycle: {chain}; a suite cannot inherit from itself", "cycle")
        )
        return True


def own_layer(document: Document) -> Layer:
    """Return a document's own data as a layer, before any inheritance."""
    data = document.data if isinstance(document.data, dict) else {}
    variables = data.get("variables") if isinstance(data.get("variables"), dict) else {}
    return Layer(dict(data), document.positions, dict(variables))


def overlay(base: Layer, top: Layer, errors: list[LintError], top_name: str) -> Layer:
    """Lay `top` over `base` and return the merged layer."""
    result = Layer({}, SourceMap(top.positions.root), {**base.variables, **top.variables})
    for key in _OWN_KEYS:
        if key in top.data:
            result.data[key] = top.data[key]
            result.positions.copy_from(top.positions, (key,), (key,))
    for key in ("applies_to", "policy"):
        merged = _merge_mapping(base, top, key, result.positions, deep={"metadata"} if key == "applies_to" else set())
        if merged is not None:
            result.data[key] = merged
    result.data["rules"] = _merge_rules(base, top, result.positions, errors, top_name)
    return result


def _merge_mapping(base: Layer, top: Layer, key: str, positions: SourceMap, deep: set[str]) -> dict[str, Any] | None:
    below, above = base.data.get(key), top.data.get(key)
    if above is None:
        if below is not None:
            positions.copy_from(base.positions, (key,), (key,))
        return below
    if not isinstance(above, dict) or not isinstance(below, dict):
        positions.copy_from(top.positions, (key,), (key,))
        return above
    positions.copy_from(base.positions, (key,), (key,))
    merged = dict(below)
    for name, value in above.items():
        path = (key, name)
        if name in deep and isinstance(value, dict) and isinstance(below.get(name), dict):
            merged[name] = {**below[name], **value}
            for inner in value:
                positions.copy_from(top.positions, path + (inner,), path + (inner,))
        else:
            merged[name] = value
            positions.copy_from(top.positions, path, path)
    return merged


def _merge_rules(base: Layer, top: Layer, positions: SourceMap, errors: list[LintError], top_name: str) -> list[Any]:
    below = base.data.get("rules") if isinstance(base.data.get("rules"), list) else []
    above = top.data.get("rules") if isinstance(top.data.get("rules"), list) else []
    rules: list[Any] = []
    index_by_id: dict[str, int] = {}
    for index, rule in enumerate(below):
        positions.copy_from(base.positions, ("rules", index), ("rules", len(rules)))
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            index_by_id[rule["id"]] = len(rules)
        rules.append(rule)
    for index, rule in enumerate(above):
        source = ("rules", index)
        target_index = index_by_id.get(rule.get("id")) if isinstance(rule, dict) and isinstance(rule.get("id"), str) else None
        if target_index is None:
            if isinstance(rule, dict) and _is_partial(rule) and "id" in rule:
                _report_orphan(rule, top, source, index_by_id, errors, top_name)
                continue
            positions.copy_from(top.positions, source, ("rules", len(rules)))
            rules.append(rule)
            continue
        rules[target_index] = _override(rules[target_index], rule, positions, top.positions, source, ("rules", target_index))
    return rules


def _is_partial(rule: dict[str, Any]) -> bool:
    return "check" not in rule and "expectation" not in rule


def _report_orphan(
    rule: dict[str, Any], top: Layer, path: tuple[str | int, ...], known: dict[str, int], errors: list[LintError], top_name: str
) -> None:
    where = top.positions.value(path + ("id",))
    hint = did_you_mean(str(rule["id"]), known) or "; give it a check or expectation to add it as a new rule"
    errors.append(
        LintError(
            where.file,
            where.line,
            where.column,
            f"rule {rule['id']!r} in suite {top_name} has no check or expectation and overrides no inherited rule{hint}",
            "unknown-override",
        )
    )


def _override(
    inherited: Any,
    rule: dict[str, Any],
    positions: SourceMap,
    top_positions: SourceMap,
    source: tuple[str | int, ...],
    target: tuple[str | int, ...],
) -> Any:
    if not _is_partial(rule) or not isinstance(inherited, dict):
        positions.copy_from(top_positions, source, target)
        return rule
    merged = dict(inherited)
    for key, value in rule.items():
        if key == "args" and isinstance(value, dict) and isinstance(inherited.get("args"), dict):
            merged["args"] = {**inherited["args"], **value}
            for name in value:
                positions.copy_from(top_positions, source + ("args", name), target + ("args", name))
        else:
            merged[key] = value
            positions.copy_from(top_positions, source + (key,), target + (key,))
    return merged
