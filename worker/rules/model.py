"""Pydantic models of a rule suite file.

These models are the single definition of the rule language: the loader
validates YAML against them, the linter reports their errors with file, line
and column, and the JSON Schema for editors is generated from them.

Field names are a stable contract for the evaluation engine and the verdict
code. `Suite` is one YAML document as written. `ResolvedSuite` is what
`RuleSet.select` returns, with `extends`, `include` and `${variables}`
applied, and it is the only suite type the engine reads.
"""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from worker.checks.context import DatasetInfo
from worker.checks.results import Severity

NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"
VARIABLE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _text_to_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _none_to_empty_dict(value: Any) -> Any:
    return {} if value is None else value


def _number_to_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


_TEXT_OR_LIST_SCHEMA = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

TextList = Annotated[list[str], BeforeValidator(_text_to_list), WithJsonSchema(_TEXT_OR_LIST_SCHEMA)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class MetadataCondition(_Strict):
    """A condition on one metadata value; every given bound must hold.

    A key missing from the dataset's metadata satisfies only
    ``exists: false`` and ``not_in``.
    """

    in_: list[Any] | None = Field(default=None, alias="in", description="The value equals one of these.")
    not_in: list[Any] | None = Field(default=None, description="The value equals none of these.")
    min: float | None = Field(default=None, description="Inclusive lower bound; the value must be a number.")
    max: float | None = Field(default=None, description="Inclusive upper bound; the value must be a number.")
    exists: bool | None = Field(default=None, description="The key is (true) or is not (false) present.")

    @model_validator(mode="after")
    def _not_empty(self) -> MetadataCondition:
        if not self.model_fields_set:
            raise ValueError("an empty condition matches nothing useful; give in, not_in, min, max or exists")
        return self

    def matches(self, present: bool, value: Any) -> bool:
        """Tell whether a metadata value (or its absence) meets every given bound."""
        if self.exists is not None and self.exists != present:
            return False
        if not present:
            return self.in_ is None and self.min is None and self.max is None
        if self.in_ is not None and value not in self.in_:
            return False
        if self.not_in is not None and value in self.not_in:
            return False
        if self.min is not None or self.max is not None:
            if not _is_number(value):
                return False
            if self.min is not None and value < self.min:
                return False
            if self.max is not None and value > self.max:
                return False
        return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def _scalar_only(value: Any) -> Any:
    if isinstance(value, list):
        raise ValueError("a list is not a metadata value; write {in: [...]} to accept any of several values")
    if not isinstance(value, str | int | float | bool) and value is not None:
        raise ValueError(f"expected a text, number or boolean, got {type(value).__name__}")
    return value


def _metadata_kind(value: Any) -> str:
    return "condition" if isinstance(value, dict) else "value"


_SCALAR_SCHEMA = {"type": ["string", "number", "boolean", "null"]}

MetadataValue = Annotated[
    Annotated[MetadataCondition, Tag("condition")]
    | Annotated[Any, BeforeValidator(_scalar_only), WithJsonSchema(_SCALAR_SCHEMA), Tag("value")],
    Discriminator(_metadata_kind),
]


class Selector(_Strict):
    """Conditions on the datasets a suite applies to; every given condition must hold.

    An empty selector matches every dataset.
    """

    data_type: TextList | None = Field(
        default=None, description="Data type or list of data types, e.g. episode, synthetic_pov."
    )
    metadata: dict[str, MetadataValue] | None = Field(
        default=None,
        description="Conditions on the dataset's metadata. A key may be a dotted path into nested objects.",
    )
    name: str | None = Field(default=None, description="Glob on the dataset name, case-sensitive.")
    ids: list[UUID] | None = Field(default=None, description="Dataset ids (UUIDs) this suite is limited to.")

    def matches(self, dataset: DatasetInfo) -> bool:
        """Tell whether every given condition holds for `dataset`."""
        if self.data_type is not None and dataset.data_type not in self.data_type:
            return False
        if self.name is not None and not fnmatch.fnmatchcase(dataset.name, self.name):
            return False
        if self.ids is not None and dataset.id.lower() not in {str(i) for i in self.ids}:
            return False
        for key, condition in (self.metadata or {}).items():
            present, value = lookup_metadata(dataset.metadata or {}, key)
            if isinstance(condition, MetadataCondition):
                if not condition.matches(present, value):
                    return False
            elif not present or value != condition or isinstance(value, bool) != isinstance(condition, bool):
                return False
        return True


def lookup_metadata(metadata: dict[str, Any], key: str) -> tuple[bool, Any]:
    """Find `key` in metadata, first as a literal key, then as a dotted path into nested objects."""
    if key in metadata:
        return True, metadata[key]
    node: Any = metadata
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


class Rule(_Strict):
    """One check: either a built-in `check` or a great-expectations `expectation`.

    Fields the engine reads:

    - `check`: name of a built-in check in `worker.checks.registry`; `args`
      validates against its `args_model`.
    - `expectation`: snake_case name of a great-expectations expectation;
      `args` are its keyword arguments, including `mostly` and
      `row_condition`. Column names in args may address vector elements
      (``observation.state.kLeftElbow``, ``observation.state[3]``,
      ``observation.state[*]``) or derived columns (``$timestamp_step``).
    - `members`: glob (``**`` spans folders) of the archive members the rule
      reads; required for expectations, optional for built-in checks.
    - `scope`: the unit a pass or fail is decided on. ``all`` gives one
      verdict over every matched member together. ``member`` and ``episode``
      decide per member or per episode, and then the rule fails when the
      failing units exceed the thresholds (see `fails_with`).
    - `severity`: how a failure weighs in the verdict.
    - `enabled`: false keeps the rule out of the run; an extending suite uses
      it to switch off an inherited rule.
    - `max_failed_percent` / `max_failed_count`: how many units of the scope
      may fail before the rule fails. Both None (the default) allows none.

    In an extending suite, a rule entry whose `id` matches an inherited rule
    is an override and may omit `check`/`expectation`; such partial entries
    are validated with ``context={"partial": True}`` and never reach the
    engine, which sees only complete rules.
    """

    id: Name | None = Field(default=None, description="Short name used in reasons and reports; unique per suite.")
    description: str | None = None
    check: str | None = Field(default=None, description="Name of a built-in check, e.g. lerobot.frame_index.")
    expectation: str | None = Field(
        default=None,
        description="great-expectations expectation name, e.g. expect_column_values_to_not_be_null.",
    )
    members: str | None = Field(default=None, description="Glob of archive members the rule reads; ** spans folders.")
    args: Annotated[dict[str, Any], BeforeValidator(_none_to_empty_dict)] = Field(
        default_factory=dict, description="Arguments of the expectation or the built-in check."
    )
    scope: Literal["member", "episode", "all"] = Field(
        default="all", description="Unit a pass or fail is decided on."
    )
    severity: Severity = Severity.ERROR
    enabled: bool = True
    max_failed_percent: float | None = Field(
        default=None, ge=0, le=100, description="Percent of the scope's units that may fail (0-100)."
    )
    max_failed_count: int | None = Field(default=None, ge=0, description="Number of the scope's units that may fail.")

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo) -> Rule:
        if info.context and info.context.get("partial"):
            return self
        if self.check is not None and self.expectation is not None:
            raise ValueError("a rule has either `check` or `expectation`, not both; split it into two rules")
        if self.check is None and self.expectation is None:
            raise ValueError("a rule needs `check` (a built-in check) or `expectation` (a great-expectations name)")
        if self.expectation is not None and self.members is None:
            raise ValueError(
                f"expectation {self.expectation} needs `members`, a glob of the tables it reads, "
                'e.g. members: "data/**/*.parquet"'
            )
        if self.scope == "all" and (self.max_failed_percent is not None or self.max_failed_count is not None):
            raise ValueError(
                "max_failed_percent and max_failed_count count failing members or episodes; "
                "set scope: member or scope: episode, or remove them"
            )
        return self

    @property
    def name(self) -> str:
        """Name used in results: the id, else the check or expectation name."""
        return self.id or self.check or self.expectation or "rule"

    def fails_with(self, failed_units: int, total_units: int) -> bool:
        """Tell whether the rule fails when `failed_units` of `total_units` units failed.

        The rule fails when the failures exceed any threshold that is set, and
        on any failure when neither is set.
        """
        if failed_units <= 0:
            return False
        if self.max_failed_count is None and self.max_failed_percent is None:
            return True
        if self.max_failed_count is not None and failed_units > self.max_failed_count:
            return True
        if self.max_failed_percent is not None:
            percent = 100.0 * failed_units / total_units if total_units else 100.0
            return percent > self.max_failed_percent
        return False


class Policy(_Strict):
    """Rules that turn a suite's results into a verdict.

    - `reject_on`: ``error`` rejects when any rule of severity error fails;
      ``warning`` rejects when any rule fails, warnings included.
    - `max_warnings`: when set, more failed warning rules than this also
      reject.
    - `on_no_checks`: the verdict when none of the suite's rules produced a
      passed or failed result (every rule disabled or skipped).
    """

    reject_on: Literal["error", "warning"] = "error"
    max_warnings: int | None = Field(default=None, ge=0)
    on_no_checks: Literal["hold", "accept", "reject"] = "hold"


class _SuiteFields(_Strict):
    suite: Name = Field(description="Suite name, unique across the rule set. A leading _ marks a base suite.")
    version: Annotated[
        str, BeforeValidator(_number_to_text), WithJsonSchema({"type": ["string", "number"]})
    ] = Field(default="1", description="Version of the suite, named in reports; quote it when it has trailing zeros.")
    description: str | None = None
    applies_to: Selector = Field(default_factory=Selector)
    policy: Policy = Field(default_factory=Policy)
    rules: Annotated[list[Rule], BeforeValidator(lambda v: [] if v is None else v)] = Field(default_factory=list)

    @property
    def enabled_rules(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.enabled]


class Suite(_SuiteFields):
    """One YAML document of a rule file, as written."""

    abstract: bool = Field(default=False, description="A base for other suites, never selected itself.")
    extends: Name | None = Field(default=None, description="Name of the suite this one inherits from.")
    include: TextList = Field(
        default_factory=list,
        description="Rule files, relative to this file, whose suites this one inherits from.",
    )
    variables: dict[Annotated[str, Field(pattern=VARIABLE_NAME_PATTERN)], Any] = Field(
        default_factory=dict, description="Values referenced as ${name} in the suite's values."
    )

    @property
    def is_abstract(self) -> bool:
        return self.abstract or self.suite.startswith("_")


class ResolvedSuite(_SuiteFields):
    """A selectable suite with `extends`, `include` and variables applied.

    `rules` contains every rule, disabled ones included, in inheritance order
    (base rules first, each override at the position of the rule it
    replaces); the engine runs `enabled_rules`. `bases` names the inherited
    suites, nearest first. `file` and `line` locate the suite's document.
    Rule ids are unique within a resolved suite; the loader rejects a suite
    document that repeats one.
    """

    variables: dict[str, Any] = Field(default_factory=dict)
    bases: list[str] = Field(default_factory=list)
    file: Path
    line: int = 1

