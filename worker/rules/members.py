"""Check the `members` glob of a rule.

Member names are POSIX paths relative to the dataset's root folder (see
`worker.archive.source`), so a glob with a leading ``/``, backslashes or
``..`` never matches anything.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from worker.archive.globs import GlobError, check_glob
from worker.archive.tables import FORMATS
from worker.rules.errors import Issue


def lint_members(members: str, reads_tables: bool) -> list[Issue]:
    """Check a rule's `members` glob; `reads_tables` is true for expectation rules."""
    problem = _glob_problem(members) or (_table_problem(members) if reads_tables else None)
    return [Issue(("members",), problem, "members")] if problem else []


def _glob_problem(members: str) -> str | None:
    if not members.strip():
        return 'members is empty; write a glob such as "data/**/*.parquet"'
    if members.startswith("/"):
        return f"members {members!r} starts with /; member names are relative to the dataset's root folder"
    if "\\" in members:
        return f"members {members!r} contains a backslash; separate folders with /"
    if ".." in PurePosixPath(members).parts:
        return f"members {members!r} contains '..'; member names never leave the dataset's root folder"
    try:
        check_glob(members)
    except GlobError as error:
        return str(error)
    return None


def _table_problem(members: str) -> str | None:
    suffix = PurePosixPath(members).suffix.lower()
    if not suffix or any(wildcard in suffix for wildcard in "*?[") or suffix in FORMATS:
        return None
    formats = ", ".join(sorted(FORMATS))
    return f"expectations read tables ({formats}), and members {members!r} matches only {suffix} files"
