"""Validate built-in check names and arguments against the check registry."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from worker.checks.registry import all_checks, get_check
from worker.rules.errors import Issue
from worker.rules.keys import RULE_KEYS, did_you_mean, model_keys


def check_argument_names(check: str) -> frozenset[str]:
    """Return the argument names the built-in `check` accepts, or none if it is unknown."""
    spec = get_check(check)
    return frozenset(model_keys(spec.args_model)) if spec is not None else frozenset()


def lint_check(check: str, args: dict[str, Any]) -> list[Issue]:
    """Check that the built-in `check` exists and accepts `args`; paths are relative to the rule."""
    spec = get_check(check)
    if spec is None:
        return [Issue(("check",), _unknown_check_message(check), "unknown-check")]
    try:
        spec.args_model.model_validate(args)
    except ValidationError as error:
        allowed = model_keys(spec.args_model)
        return _issues_from(error, check, args, allowed)
    return []


def _unknown_check_message(check: str) -> str:
    known = sorted(all_checks())
    hint = did_you_mean(check, known)
    if hint:
        return f"unknown built-in check {check!r}{hint}"
    listing = ", ".join(known) if known else "none are registered"
    return f"unknown built-in check {check!r}; known checks: {listing}"


def _issues_from(error: ValidationError, check: str, args: dict[str, Any], allowed: list[str]) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[tuple[Any, ...]] = set()
    for item in error.errors():
        location = tuple(item["loc"])
        if location in seen:
            continue
        seen.add(location)
        issues.append(_issue_from(item, location, check, args, allowed))
    return issues


def _issue_from(item: Any, location: tuple[Any, ...], check: str, args: dict[str, Any], allowed: list[str]) -> Issue:
    kind = item["type"]
    path = ("args", *location)
    name = str(location[0]) if location else ""
    if kind == "extra_forbidden" and len(location) == 1:
        if name in RULE_KEYS:
            return Issue(path, f"{name!r} is a rule key nested under args; dedent it to the rule's level", "misplaced-key", True)
        hint = did_you_mean(name, allowed) or (f"; it accepts {', '.join(allowed)}" if allowed else "; it takes no arguments")
        return Issue(path, f"unknown argument {name!r} for check {check}{hint}", "check-args", True)
    if kind == "missing":
        return Issue(("args",), f"check {check} needs argument {name!r} in args", "check-args")
    message = item["msg"].removeprefix("Value error, ")
    if not location:
        return Issue(("args",), f"invalid args for check {check}: {message}", "check-args")
    dotted = ".".join(str(part) for part in location)
    got = f" (got {item['input']!r})" if "input" in item else ""
    return Issue(path, f"args.{dotted}: {message}{got}", "check-args")
