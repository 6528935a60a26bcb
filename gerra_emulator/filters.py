"""The list endpoint's metadata filter: ``key:value`` terms that must all match."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def parse_metadata_terms(raw_terms: Iterable[str]) -> list[tuple[str, str]]:
    """Split each term at its first colon and trim both parts; terms without a colon are ignored."""
    terms = []
    for raw in raw_terms:
        key, colon, value = raw.partition(":")
        if colon:
            terms.append((key.strip(), value.strip()))
    return terms


def metadata_matches(metadata: Mapping[str, Any], terms: Iterable[tuple[str, str]]) -> bool:
    """Tell whether every term matches a top-level metadata value.

    A string matches when equal to the term's value; a number or boolean
    matches when its JSON text equals it (so ``episode:1`` matches ``1``).
    Null, objects and arrays never match.
    """
    return all(_value_matches(metadata, key, value) for key, value in terms)


def _value_matches(metadata: Mapping[str, Any], key: str, expected: str) -> bool:
    if key not in metadata:
        return False
    actual = metadata[key]
    if isinstance(actual, str):
        return actual == expected
    if isinstance(actual, bool | int | float):
        return json.dumps(actual) == expected
    return False
