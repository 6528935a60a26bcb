"""Pydantic models of a rule suite file.

These models are the single definition of the rule language: the loader
validates YAML against them, the linter reports their errors with file, line
and column, and the JSON Schema for editors is generated from them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.checks.results import Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Selector(_Strict):
    """Which datasets a suite applies to; every given condition must hold."""

    data_type: list[str] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = Field(default=None, description="Glob on the dataset name.")
    ids: list[str] | None = None


class Rule(_Strict):
    """One check: either a built-in `check` or a great-expectations `expectation`."""

    id: str | None = Field(default=None, description="Short name used in reasons and reports.")
    check: str | None = None
    expectation: str | None = None
    members: str | None = Field(default=None, description="Glob of archive members the rule reads.")
    scope: Literal["member", "episode", "all"] = "all"
    args: dict[str, Any] = Field(default_factory=dict)
    severity: Severity = Severity.ERROR
    description: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        if (self.check is None) == (self.expectation is None):
            raise ValueError("a rule needs exactly one of `check` or `expectation`")
        if self.expectation is not None and self.members is None:
            raise ValueError(f"expectation {self.expectation} needs `members`, a glob of the tables it reads")
        return self

    @property
    def name(self) -> str:
        return self.id or self.check or self.expectation or "rule"


class Suite(_Strict):
    """A named, versioned list of rules and the datasets they apply to."""

    suite: str
    version: str = "1"
    description: str | None = None
    applies_to: Selector = Field(default_factory=Selector)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _version_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("version"), int | float):
            data = {**data, "version": str(data["version"])}
        return data
