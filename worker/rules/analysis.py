"""Read, resolve and check a rule set, collecting every mistake with its position.

Both the linter and the loader run this: the linter prints the errors, the
loader refuses the whole rule set when there is any, so a rule set is applied
entirely or not at all.

Checking happens in two passes. Each document is first validated as
written, so unknown keys and wrong types are reported where they are, even
in suites that nothing selects. Each suite is then merged with what it
inherits, its variables are substituted, and the result is validated again,
together with the expectation and check arguments and column names of every
rule. Errors found in both passes, or through several suites that inherit the
same rule, are reported once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from worker.rules.check_args import check_argument_names, lint_check
from worker.rules.columns import lint_columns
from worker.rules.errors import Issue, LintError
from worker.rules.expectation_args import (
    all_argument_names,
    argument_names,
    expectation_classes,
    lint_expectation,
    lint_scope,
)
from worker.rules.keys import did_you_mean
from worker.rules.members import lint_members
from worker.rules.model import ResolvedSuite, Suite
from worker.rules.resolve import Layer, Resolver, SuiteSource
from worker.rules.rule_files import RuleFiles, collect_rule_files
from worker.rules.validation import located_errors
from worker.rules.variables import has_reference, substitute
from worker.rules.yaml_positions import Document, NodePath, SourceMap

KNOWN_DATA_TYPES = ("episode", "synthetic_pov", "synthetic_third_person", "telemetry")
_SUBSTITUTED_KEYS = ("description", "applies_to", "policy", "rules")


@dataclass
class Analysis:
    """Outcome of checking a rule set.

    `suites` contains every selectable (not abstract) suite, resolved, and is
    complete only when `errors` is empty. `content` contains the bytes of
    every file read, included files too, by resolved path.
    """

    errors: list[LintError] = field(default_factory=list)
    suites: dict[str, ResolvedSuite] = field(default_factory=dict)
    content: dict[Path, bytes] = field(default_factory=dict)


def analyze(paths: list[Path]) -> Analysis:
    """Check every rule file under `paths` as one rule set."""
    files, errors = collect_rule_files(paths)
    rule_files = RuleFiles()
    for file in files:
        rule_files.read(file, file)
    _read_includes(rule_files)
    errors += rule_files.errors

    suites, includes = _register_suites(rule_files, errors)
    resolver = Resolver(suites, includes)
    resolved: dict[str, ResolvedSuite] = {}
    for name, source in suites.items():
        layer = resolver.resolve(name)
        suite = _check_resolved(source, layer, errors)
        if suite is not None and not _is_abstract(source.data):
            resolved[name] = suite
    errors += resolver.errors
    return Analysis(_unique_sorted(errors), resolved, rule_files.content)


def _read_includes(rule_files: RuleFiles) -> None:
    pending = list(rule_files.documents)
    while pending:
        resolved = pending.pop()
        for document in rule_files.documents.get(resolved, []):
            for path, entry in _include_entries(document):
                display_path = document.file.parent / entry
                target = display_path.resolve()
                if target in rule_files.content:
                    continue
                if not target.is_file():
                    where = document.positions.value(path)
                    rule_files.errors.append(
                        LintError(where.file, where.line, where.column, f"included file {entry!r} not found at {display_path}; paths are relative to this file", "include-not-found")
                    )
                    continue
                if rule_files.read(target, display_path):
                    pending.append(target)


def _include_entries(document: Document) -> list[tuple[NodePath, str]]:
    data = document.data if isinstance(document.data, dict) else {}
    include = data.get("include")
    if isinstance(include, str):
        return [(("include",), include)]
    if isinstance(include, list):
        return [(("include", index), entry) for index, entry in enumerate(include) if isinstance(entry, str)]
    return []


def _register_suites(
    rule_files: RuleFiles, errors: list[LintError]
) -> tuple[dict[str, SuiteSource], dict[Path, list[SuiteSource]]]:
    suites: dict[str, SuiteSource] = {}
    includes: dict[Path, list[SuiteSource]] = {}
    for resolved, documents in sorted(rule_files.documents.items()):
        includes[resolved] = []
        for document in documents:
            errors += _check_document(document)
            name = document.data.get("suite") if isinstance(document.data, dict) else None
            if not isinstance(name, str):
                continue
            source = SuiteSource(name, document)
            if name in suites:
                errors.append(_duplicate_suite(source, suites[name]))
                continue
            suites[name] = source
            includes[resolved].append(source)
    return suites, includes


def _duplicate_suite(source: SuiteSource, first: SuiteSource) -> LintError:
    where = source.document.positions.value(("suite",))
    earlier = first.document.positions.value(("suite",))
    return LintError(
        where.file,
        where.line,
        where.column,
        f"suite name {source.name!r} is already used at {earlier.file}:{earlier.line}; suite names are unique across the rule set",
        "duplicate-suite",
    )


def _check_document(document: Document) -> list[LintError]:
    positions = document.positions
    if not isinstance(document.data, dict):
        where = positions.root
        return [LintError(where.file, where.line, where.column, "a suite document is a mapping that starts with `suite: <name>`", "not-a-suite")]
    errors: list[LintError] = []
    try:
        Suite.model_validate(document.data, context={"partial": True})
    except ValidationError as error:
        errors += located_errors(error, document.data, positions, _argument_names, skip=lambda path, value: has_reference(value))
    errors += _check_version(document)
    errors += _check_duplicate_rule_ids(document)
    errors += _check_variable_values(document)
    errors += _check_data_types(document)
    return errors


def _check_version(document: Document) -> list[LintError]:
    if ("version",) not in document.lossy_floats:
        return []
    where = document.positions.value(("version",))
    message = f"version is read as the number {document.data['version']}, which loses digits; quote it, e.g. version: \"1.10\""
    return [LintError(where.file, where.line, where.column, message, "invalid-value")]


def _check_duplicate_rule_ids(document: Document) -> list[LintError]:
    rules = document.data.get("rules")
    if not isinstance(rules, list):
        return []
    errors: list[LintError] = []
    first_line: dict[str, int] = {}
    for index, rule in enumerate(rules):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str):
            continue
        where = document.positions.value(("rules", index, "id"))
        if rule_id in first_line:
            message = f"rule id {rule_id!r} is already used at line {first_line[rule_id]} of this suite; rule ids are unique per suite"
            errors.append(LintError(where.file, where.line, where.column, message, "duplicate-rule"))
        else:
            first_line[rule_id] = where.line
    return errors


def _check_variable_values(document: Document) -> list[LintError]:
    variables = document.data.get("variables")
    if not isinstance(variables, dict):
        return []
    errors: list[LintError] = []
    for name, value in variables.items():
        if has_reference(value):
            where = document.positions.value(("variables", name))
            errors.append(LintError(where.file, where.line, where.column, f"variable {name} refers to another variable; give it a literal value", "variable"))
    return errors


def _check_data_types(document: Document) -> list[LintError]:
    selector = document.data.get("applies_to")
    data_type = selector.get("data_type") if isinstance(selector, dict) else None
    entries: list[tuple[Any, Any]] = []
    if isinstance(data_type, str):
        entries = [((), data_type)]
    elif isinstance(data_type, list):
        entries = list(enumerate(data_type))
    errors: list[LintError] = []
    for index, value in entries:
        if not isinstance(value, str) or value in KNOWN_DATA_TYPES:
            continue
        # New data types may appear, so only a likely typo of a known type is an error.
        hint = did_you_mean(value, KNOWN_DATA_TYPES)
        if hint:
            path = ("applies_to", "data_type") + ((index,) if index != () else ())
            where = document.positions.value(path)
            errors.append(LintError(where.file, where.line, where.column, f"unknown data type {value!r}{hint}", "unknown-data-type"))
    return errors


def _argument_names(mapping: Any) -> set[str]:
    if isinstance(mapping, dict):
        expectation = mapping.get("expectation")
        if isinstance(expectation, str) and expectation in expectation_classes():
            return set(argument_names(expectation))
        check = mapping.get("check")
        if isinstance(check, str):
            return set(check_argument_names(check))
    return set(all_argument_names())


def _is_abstract(data: dict[str, Any]) -> bool:
    return data.get("abstract") is True or str(data.get("suite", "")).startswith("_")


def _check_resolved(source: SuiteSource, layer: Layer, errors: list[LintError]) -> ResolvedSuite | None:
    abstract = _is_abstract(source.data)
    data = dict(layer.data)
    for key in _SUBSTITUTED_KEYS:
        if key not in data:
            continue
        data[key], issues = substitute(data[key], layer.variables, (key,))
        errors.extend(_variable_error(issue, source, layer) for issue in issues if not (abstract and issue.code == "unresolved-variable"))

    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    for index, rule in enumerate(rules):
        errors.extend(_check_rule(rule, index, data, layer.positions))

    document = source.document
    candidate = {key: data[key] for key in ("suite", "version", "description", "applies_to", "policy", "rules") if key in data}
    candidate.update(variables=layer.variables, bases=layer.bases, file=document.file, line=document.positions.root.line)
    try:
        return ResolvedSuite.model_validate(candidate)
    except ValidationError as error:
        # A value still holding ${...} was reported as an unresolved variable,
        # or belongs to an abstract suite whose children define it.
        skip = lambda path, value: has_reference(value)  # noqa: E731
        errors.extend(located_errors(error, candidate, layer.positions, _argument_names, skip=skip))
        return None


def _variable_error(issue: Issue, source: SuiteSource, layer: Layer) -> LintError:
    where = layer.positions.value(issue.path)
    message = issue.message
    if issue.code == "unresolved-variable":
        inherited = " or the suites it inherits from" if layer.bases else ""
        message += f" in suite {source.name}{inherited}; define it under variables:"
    return LintError(where.file, where.line, where.column, message, issue.code)


def _check_rule(rule: Any, index: int, data: dict[str, Any], positions: SourceMap) -> list[LintError]:
    """Check one resolved rule's expectation or check, its arguments and its column names.

    This runs on the raw rule, so a rule with an unknown key still has its
    expectation and arguments checked in the same run.
    """
    if not isinstance(rule, dict) or has_reference(rule):
        return []
    args = rule.get("args") if isinstance(rule.get("args"), dict) else {}
    issues: list[Issue] = []
    if isinstance(rule.get("expectation"), str):
        issues += lint_expectation(rule["expectation"], args)
        issues += lint_scope(rule["expectation"], str(rule.get("scope", "all")), args)
    if isinstance(rule.get("check"), str):
        issues += lint_check(rule["check"], args)
    members = rule.get("members")
    if isinstance(members, str):
        issues += lint_members(members, reads_tables="expectation" in rule)
    issues += lint_columns(args, _reads_episode_frames(members, data))
    prefix = ("rules", index)
    errors: list[LintError] = []
    for issue in issues:
        where = positions.key(prefix + issue.path) if issue.at_key else positions.value(prefix + issue.path)
        errors.append(LintError(where.file, where.line, where.column, issue.message, issue.code))
    return errors


def _reads_episode_frames(members: Any, data: dict[str, Any]) -> bool:
    """Tell whether the rule reads LeRobot frame tables, the only layout whose columns are known."""
    selector = data.get("applies_to")
    data_type = selector.get("data_type") if isinstance(selector, dict) else None
    only_episodes = data_type == "episode" or data_type == ["episode"]
    return only_episodes and isinstance(members, str) and members.startswith("data/")


def _unique_sorted(errors: list[LintError]) -> list[LintError]:
    unique: dict[tuple[Any, ...], LintError] = {}
    for error in errors:
        unique.setdefault((str(error.file), error.line, error.column, error.code, error.message), error)
    return sorted(unique.values(), key=lambda e: (str(e.file), e.line, e.column, e.code))
