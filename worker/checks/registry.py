"""Registry of built-in checks that rule suites name with `check:`.

A built-in check is a function ``(ctx, args) -> list[CheckResult]``. Its
arguments are a pydantic model, so the rule linter can reject unknown or
mistyped arguments before any dataset is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from worker.checks.context import CheckContext
from worker.checks.results import CheckResult


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


CheckFunction = Callable[[CheckContext, BaseModel], list[CheckResult]]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    function: CheckFunction
    args_model: type[BaseModel]
    description: str


_REGISTRY: dict[str, CheckSpec] = {}


def register(name: str, args: type[BaseModel] = NoArgs) -> Callable[[CheckFunction], CheckFunction]:
    """Register a built-in check under `name` (for example ``"lerobot.frame_index"``)."""

    def decorator(function: CheckFunction) -> CheckFunction:
        if name in _REGISTRY:
            raise ValueError(f"built-in check {name!r} is registered twice")
        doc = (function.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = CheckSpec(name, function, args, doc[0] if doc else "")
        return function

    return decorator


def get_check(name: str) -> CheckSpec | None:
    load_builtin_checks()
    return _REGISTRY.get(name)


def all_checks() -> dict[str, CheckSpec]:
    load_builtin_checks()
    return dict(_REGISTRY)


def load_builtin_checks() -> None:
    """Import the modules that register the built-in checks."""
    import importlib
    import pkgutil

    import worker.checks.builtin as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
