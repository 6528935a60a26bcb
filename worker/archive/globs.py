"""Globs on member paths, as written in rules and check arguments.

Within one folder name, a glob matches as `fnmatch.fnmatchcase` and
`pathlib.PurePath.match` do: ``*`` matches any run of characters, ``?`` one
character, and ``[abc]``, ``[a-z]`` and ``[!abc]`` one character of a class.
None of them matches ``/``. ``**`` matches across folders, and ``**/``
matches zero or more whole folders. Matching is case-sensitive. There is no
escape character: ``[*]``, ``[?]`` and ``[[]`` match those characters
literally.

Unlike `fnmatch`, an unclosed ``[`` is an error instead of a literal, so a
typo in a rule is reported by the linter instead of matching nothing.

The translation to a regular expression is written here because
`fnmatch.translate` lets ``*`` match ``/``, and `glob.translate`, which
does not, first appeared in Python 3.13.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator


class GlobError(ValueError):
    """A glob that cannot be translated; the message names the glob and the fix."""


def match_glob(name: str, pattern: str) -> bool:
    """Tell whether the member name `name` matches `pattern`; raise GlobError for an invalid glob."""
    return _glob_regex(pattern).match(name) is not None


def check_glob(pattern: str) -> str:
    """Return `pattern` unchanged, or raise GlobError when it is not a valid glob."""
    _glob_regex(pattern)
    return pattern


MemberGlob = Annotated[str, AfterValidator(check_glob)]
"""A glob on member paths, validated when a check's arguments are parsed."""


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = _class_end(pattern, i)
            parts.append(_class_regex(pattern, i, end))
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _class_end(pattern: str, start: int) -> int:
    """Return the index of the ``]`` that closes the class opened at `start`.

    As in `fnmatch`, a ``]`` right after ``[`` or ``[!`` is a member of the
    class, not its end.
    """
    j = start + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    end = pattern.find("]", j)
    if end < 0:
        raise GlobError(
            f"glob {pattern!r} has an unclosed '[' at character {start + 1};"
            " close the character class with ']', or write '[[]' to match a literal '['"
        )
    return end


def _class_regex(pattern: str, start: int, end: int) -> str:
    body = pattern[start + 1 : end]
    negated = body.startswith("!")
    if negated:
        body = body[1:]
    if "/" in body:
        raise GlobError(
            f"glob {pattern!r} has '/' inside the character class {pattern[start : end + 1]!r};"
            " a class matches one character within a folder name, so move '/' out of the brackets"
        )
    items = _class_items(body)
    if negated:
        return "[^/" + "".join(items) + "]"
    if not items:
        # Only reversed ranges such as [z-a], which match nothing, as in fnmatch.
        return "(?!)"
    # A range such as [+-0] spans '/', which a class must never match.
    return "(?!/)[" + "".join(items) + "]"


def _class_items(body: str) -> list[str]:
    """Translate a class body into escaped characters and ``a-z`` ranges, dropping reversed ranges."""
    items = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low <= high:
                items.append(f"{re.escape(low)}-{re.escape(high)}")
            k += 3
        else:
            items.append(re.escape(body[k]))
            k += 1
    return items
