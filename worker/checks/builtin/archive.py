"""Built-in checks of an archive's structure: which members exist, their names, sizes and readability."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.archive.errors import UnreadableTable
from worker.archive.globs import MemberGlob
from worker.archive.lfs import LfsPointer, find_lfs_pointers
from worker.archive.source import ArchiveError, Member, match_glob
from worker.archive.tables import iter_batches, read_schema
from worker.checks.registry import register
from worker.checks.results import CheckResult, Example, failed, passed
from worker.lerobot.layout import is_lfs_pointer
from worker.lerobot.text import number, plural

MAX_EXAMPLES = 5
MAX_LISTED = 5
# Files that operating systems and version control leave behind, never data.
DEFAULT_FORBIDDEN = ["__MACOSX/**", "**/.DS_Store", "**/Thumbs.db", "**/desktop.ini", "**/.git/**", "**/*~"]
TABLE_PATTERNS = ["**/*.parquet", "**/*.csv", "**/*.jsonl", "**/*.ndjson"]
# Extensions named first in examples, most telling first, when many members are pointers.
_DATA_EXTENSIONS = (".parquet", ".mp4", ".arrow", ".h5", ".hdf5", ".npz", ".csv", ".jsonl")


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _matching(members: list[Member], patterns: list[str]) -> list[Member]:
    return [m for m in members if any(match_glob(m.name, p) for p in patterns)]


def _listed(names: list[str], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class PatternsArgs(_Args):
    patterns: list[MemberGlob] = Field(min_length=1, description="Globs on member paths; `**` spans folders.")


@register("archive.required_members", args=PatternsArgs)
def check_required_members(ctx: Any, args: PatternsArgs) -> list[CheckResult]:
    """Check that each glob matches at least one member of the archive."""
    name = "archive.required_members"
    members = ctx.source.members
    missing = [p for p in args.patterns if not any(match_glob(m.name, p) for m in members)]
    total = len(args.patterns)
    if missing:
        return [
            failed(
                name,
                f"{len(missing)} of {total} required members are missing: no member matches {_listed(missing)}",
                failed_count=len(missing),
                total_count=total,
                expected=args.patterns,
                examples=[Example(value=p) for p in missing[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"all {plural(total, 'required pattern')} match a member", failed_count=0, total_count=total)]


@register("archive.any_member", args=PatternsArgs)
def check_any_member(ctx: Any, args: PatternsArgs) -> list[CheckResult]:
    """Check that at least one member matches one of the globs, for deliveries that may use several formats."""
    name = "archive.any_member"
    matching = [m.name for m in ctx.source.members if any(match_glob(m.name, p) for p in args.patterns)]
    if not matching:
        return [
            failed(
                name,
                f"no member matches any of {_listed(args.patterns)}; the delivery holds none of the expected files",
                failed_count=1,
                total_count=1,
                expected=args.patterns,
            )
        ]
    verb = "matches" if len(matching) == 1 else "match"
    return [passed(name, f"{plural(len(matching), 'member')} {verb} {_listed(args.patterns)}", failed_count=0,
                   total_count=1)]


class ForbiddenArgs(_Args):
    patterns: list[MemberGlob] = Field(
        default_factory=lambda: list(DEFAULT_FORBIDDEN),
        min_length=1,
        description="Globs no member may match; default operating-system and version-control leftovers.",
    )


@register("archive.forbidden_members", args=ForbiddenArgs)
def check_forbidden_members(ctx: Any, args: ForbiddenArgs) -> list[CheckResult]:
    """Check that no member matches a forbidden glob."""
    name = "archive.forbidden_members"
    members = ctx.source.members
    hits = [(m.name, next(p for p in args.patterns if match_glob(m.name, p))) for m in _matching(members, args.patterns)]
    if hits:
        shown = _listed([f"{member} (matches {pattern})" for member, pattern in hits])
        return [
            failed(
                name,
                f"{len(hits)} of {len(members)} members are forbidden: {shown}",
                failed_count=len(hits),
                total_count=len(members),
                examples=[Example(member=m, value=p) for m, p in hits[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"none of {plural(len(members), 'member')} is forbidden", failed_count=0, total_count=len(members))]


class ExtensionsArgs(_Args):
    extensions: list[str] = Field(min_length=1, description="Allowed extensions such as .parquet or json; case-insensitive.")
    ignore: list[MemberGlob] = Field(default_factory=list, description="Globs of members exempt from the check, such as README.md.")


def _extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base.lstrip(".") else ""


@register("archive.allowed_extensions", args=ExtensionsArgs)
def check_allowed_extensions(ctx: Any, args: ExtensionsArgs) -> list[CheckResult]:
    """Check that every member's extension is in the allowed list."""
    name = "archive.allowed_extensions"
    allowed = {("." + e.lower().lstrip(".")) if e else "" for e in args.extensions}
    members = [m for m in ctx.source.members if not any(match_glob(m.name, p) for p in args.ignore)]
    bad = [m.name for m in members if _extension(m.name) not in allowed]
    allowed_text = ", ".join(sorted(e or "(none)" for e in allowed))
    if bad:
        by_extension = Counter(_extension(n) or "(none)" for n in bad)
        counts = ", ".join(f"{e} x{c}" for e, c in by_extension.most_common())
        return [
            failed(
                name,
                f"{len(bad)} of {len(members)} members have an extension outside the allowed list ({allowed_text}): "
                f"{counts}; e.g. {_listed(bad, 3)}",
                failed_count=len(bad),
                total_count=len(members),
                observed=dict(by_extension),
                expected=sorted(allowed),
                examples=[Example(member=n, value=_extension(n)) for n in bad[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"all {plural(len(members), 'member')} have an allowed extension ({allowed_text})", failed_count=0, total_count=len(members))]


class SizeLimit(_Args):
    pattern: MemberGlob = Field(default="**", description="Glob of the members this limit applies to.")
    min_bytes: int | None = Field(default=None, ge=0, description="Smallest allowed size in bytes.")
    max_bytes: int | None = Field(default=None, ge=0, description="Largest allowed size in bytes.")

    @model_validator(mode="after")
    def _has_bound(self) -> SizeLimit:
        if self.min_bytes is None and self.max_bytes is None:
            raise ValueError(f"size limit for {self.pattern!r} needs min_bytes, max_bytes or both")
        if self.min_bytes is not None and self.max_bytes is not None and self.min_bytes > self.max_bytes:
            raise ValueError(f"size limit for {self.pattern!r} has min_bytes {self.min_bytes} above max_bytes {self.max_bytes}")
        return self


class MemberSizeArgs(_Args):
    limits: list[SizeLimit] = Field(min_length=1, description="Size limits, each on the members its glob matches.")


def _size_problem(member: Member, limit: SizeLimit) -> str | None:
    if limit.min_bytes is not None and member.size < limit.min_bytes:
        return f"{member.name} is {number(member.size)} bytes, below the minimum {number(limit.min_bytes)} for {limit.pattern}"
    if limit.max_bytes is not None and member.size > limit.max_bytes:
        return f"{member.name} is {number(member.size)} bytes, above the maximum {number(limit.max_bytes)} for {limit.pattern}"
    return None


@register("archive.member_size", args=MemberSizeArgs)
def check_member_size(ctx: Any, args: MemberSizeArgs) -> list[CheckResult]:
    """Check each member against the minimum and maximum sizes of the globs it matches."""
    name = "archive.member_size"
    problems: list[tuple[Member, str]] = []
    checked: set[str] = set()
    for limit in args.limits:
        for member in ctx.source.glob(limit.pattern):
            checked.add(member.name)
            problem = _size_problem(member, limit)
            if problem:
                problems.append((member, problem))
    bad = {m.name for m, _ in problems}
    if problems:
        return [
            failed(
                name,
                f"{len(bad)} of {len(checked)} members are outside their size limits: {_listed([p for _, p in problems], 3)}",
                failed_count=len(bad),
                total_count=len(checked),
                examples=[Example(member=m.name, value=m.size) for m, _ in problems[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"all {plural(len(checked), 'member')} within their size limits", failed_count=0, total_count=len(checked))]


class EmptyFilesArgs(_Args):
    patterns: list[MemberGlob] = Field(default_factory=lambda: ["**"], description="Globs of members that must not be empty.")
    ignore: list[MemberGlob] = Field(default_factory=list, description="Globs of members allowed to be empty, such as **/.gitkeep.")


@register("archive.empty_files", args=EmptyFilesArgs)
def check_empty_files(ctx: Any, args: EmptyFilesArgs) -> list[CheckResult]:
    """Check that no member is a zero-byte file."""
    name = "archive.empty_files"
    members = [m for m in _matching(ctx.source.members, args.patterns) if not any(match_glob(m.name, p) for p in args.ignore)]
    empty = [m.name for m in members if m.size == 0]
    if empty:
        return [
            failed(
                name,
                f"{len(empty)} of {len(members)} members are empty (0 bytes): {_listed(empty)}",
                failed_count=len(empty),
                total_count=len(members),
                examples=[Example(member=n, value=0) for n in empty[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"none of {plural(len(members), 'member')} is empty", failed_count=0, total_count=len(members))]


class LfsArgs(_Args):
    patterns: list[MemberGlob] = Field(default_factory=lambda: ["**"], description="Globs of members to inspect.")


def _example_first(pointer: LfsPointer) -> tuple[int, str]:
    extension = _extension(pointer.member)
    rank = _DATA_EXTENSIONS.index(extension) if extension in _DATA_EXTENSIONS else len(_DATA_EXTENSIONS)
    return rank, pointer.member


@register("archive.lfs_pointers", args=LfsArgs)
def check_lfs_pointers(ctx: Any, args: LfsArgs) -> list[CheckResult]:
    """Check that no member is a Git LFS pointer file standing in for the real data."""
    name = "archive.lfs_pointers"
    members = _matching(ctx.source.members, args.patterns)
    selected = {m.name for m in members}
    pointers = sorted((p for p in find_lfs_pointers(ctx.source) if p.member in selected), key=_example_first)
    total = len(members)
    if not pointers:
        return [passed(name, f"none of {plural(total, 'member')} is a Git LFS pointer file", failed_count=0, total_count=total)]
    first = pointers[0]
    missing_bytes = sum(p.size for p in pointers)
    verb = "is a Git LFS pointer file" if len(pointers) == 1 else "are Git LFS pointer files"
    return [
        failed(
            name,
            f"{len(pointers)} of {total} members {verb}, not data (e.g. {first.member} -> {number(first.size)} bytes); "
            f"{number(missing_bytes)} bytes of LFS objects are missing; run `git lfs pull` before packing the archive",
            failed_count=len(pointers),
            total_count=total,
            examples=[Example(member=p.member, value={"oid": p.oid, "size": p.size}) for p in pointers[:MAX_EXAMPLES]],
            details={"missing_bytes": missing_bytes},
        )
    ]


def _collision_key(name: str) -> str:
    # Case-insensitive file systems (macOS, Windows) and Unicode normalisation
    # both merge names that differ only this way, so extraction loses files.
    return unicodedata.normalize("NFC", name).casefold()


@register("archive.duplicate_names", args=_Args)
def check_duplicate_names(ctx: Any, args: _Args) -> list[CheckResult]:
    """Check that no two members share a name, also ignoring case and Unicode normalisation."""
    name = "archive.duplicate_names"
    groups: dict[str, list[str]] = defaultdict(list)
    for member in ctx.source.members:
        groups[_collision_key(member.name)].append(member.name)
    clashes = [names for names in groups.values() if len(names) > 1]
    total = len(ctx.source.members)
    if clashes:
        shown = _listed([" = ".join(names) for names in clashes], 3)
        count = sum(len(names) for names in clashes)
        return [
            failed(
                name,
                f"{count} of {total} members share a name with another member once case and Unicode form are ignored: {shown}",
                failed_count=count,
                total_count=total,
                examples=[Example(member=names[0], value=names[1:]) for names in clashes[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"all {plural(total, 'member name')} are distinct", failed_count=0, total_count=total)]


class TablesArgs(_Args):
    patterns: list[MemberGlob] = Field(
        default_factory=lambda: list(TABLE_PATTERNS),
        description="Globs of table members to open; default every Parquet, CSV and JSON Lines file.",
    )


def _parquet_problem(source: Any, name: str) -> str | None:
    read_schema(source, name)  # parses only the footer
    return None


def _csv_problem(source: Any, name: str) -> str | None:
    # Streaming keeps memory bounded whatever the size of the table.
    for _ in iter_batches(source, name):
        pass
    return None


def _jsonl_problem(source: Any, name: str) -> str | None:
    bad: list[int] = []
    first_error = ""
    with source.open(name) as handle:
        for number_, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except (ValueError, RecursionError) as error:
                if not bad:
                    first_error = "nested too deeply" if isinstance(error, RecursionError) else str(error)
                bad.append(number_)
    if not bad:
        return None
    return f"{plural(len(bad), 'line')} {'is' if len(bad) == 1 else 'are'} not valid JSON (first: line {bad[0]}, {first_error})"


_TABLE_READERS = {".parquet": _parquet_problem, ".csv": _csv_problem, ".jsonl": _jsonl_problem, ".ndjson": _jsonl_problem}


def table_problem(source: Any, name: str) -> str | None:
    """Return why a table member cannot be read, or None when it opens."""
    reader = _TABLE_READERS.get(_extension(name))
    if reader is None:
        return None
    if is_lfs_pointer(source.read_bytes(name, 64)):
        return "it is a Git LFS pointer file, not table data"
    try:
        return reader(source, name)
    except UnreadableTable as error:
        return error.reason


@register("archive.unreadable_tables", args=TablesArgs)
def check_unreadable_tables(ctx: Any, args: TablesArgs) -> list[CheckResult]:
    """Check that every Parquet, CSV and JSON Lines member opens: Parquet footers parse, CSV rows and JSONL lines decode.

    JSON Lines are parsed line by line with `json` instead of pyarrow, so
    lines whose fields change type from line to line still count as readable.
    """
    name = "archive.unreadable_tables"
    members = _matching(ctx.source.members, args.patterns)
    problems: list[tuple[str, str]] = []
    for member in members:
        try:
            problem = table_problem(ctx.source, member.name)
        except ArchiveError as error:  # a CRC error or a bomb inside this member
            problem = f"the archive member cannot be read ({error})"
        if problem:
            problems.append((member.name, problem))
    total = len(members)
    if problems:
        shown = "; ".join(f"{m}: {p}" for m, p in problems[:3])
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        return [
            failed(
                name,
                f"{len(problems)} of {total} tables are unreadable: {shown}{more}",
                failed_count=len(problems),
                total_count=total,
                examples=[Example(member=m, value=p) for m, p in problems[:MAX_EXAMPLES]],
            )
        ]
    return [passed(name, f"all {plural(total, 'table')} open", failed_count=0, total_count=total)]
