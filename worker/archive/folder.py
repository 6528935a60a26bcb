"""List the members of a local folder, following symbolic links to files.

A local folder is the user's own data, not an archive from the vendor, and
tools lay data out with links: a Hugging Face cache snapshot links each file
to a blob in a sibling folder. So a link that resolves to a regular file is a
member under the link's own path, wherever its target lies.

Linked folders are never descended into, which keeps the walk finite and the
member list free of duplicates. Some entries cannot be read as members: a
dangling link, a link loop, a link to a folder, and a FIFO, socket or device.
Listing the folder raises ArchiveError naming each of them, so none is left
out silently.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from worker.archive.errors import ArchiveError, ErrorCode
from worker.archive.inventory import Member

MAX_LISTED = 5


def list_folder(root: Path) -> list[Member]:
    """Return a member for each regular file under `root`, or raise ArchiveError naming the entries that are not.

    An OSError from reading a folder or a file's status, such as a denied
    permission, is raised as it is, because it is a fault of the machine
    running the gate, not of the data.
    """
    members: list[Member] = []
    problems: list[tuple[str, str, bool]] = []
    for folder, subfolders, files in os.walk(root, onerror=_raise):
        linked_folders = [name for name in subfolders if os.path.islink(os.path.join(folder, name))]
        for entry in sorted(files + linked_folders):
            path = Path(folder, entry)
            name = path.relative_to(root).as_posix()
            size_or_problem = _regular_size(path)
            if isinstance(size_or_problem, int):
                members.append(Member(name, size_or_problem, size_or_problem))
            else:
                problems.append((name, size_or_problem, path.is_symlink()))
    if problems:
        raise _unreadable_entries(root, problems)
    return members


def _raise(error: OSError) -> None:
    raise error


def _regular_size(path: Path) -> int | str:
    """Return the size of the regular file at `path` after following links, or why it is not one."""
    try:
        status = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return f"dangling symbolic link to {os.readlink(path)}"
        raise
    except OSError as error:
        if error.errno == errno.ELOOP:
            return f"symbolic link loop through {os.readlink(path)}"
        raise
    if stat.S_ISREG(status.st_mode):
        return status.st_size
    if stat.S_ISDIR(status.st_mode):
        return f"symbolic link to the folder {os.readlink(path)}"
    kind = _special_kind(status.st_mode)
    if path.is_symlink():
        return f"symbolic link to the {kind} {os.readlink(path)}"
    return kind


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    return "special file"


def _unreadable_entries(root: Path, problems: list[tuple[str, str, bool]]) -> ArchiveError:
    problems = sorted(problems)
    count = f"{len(problems)} entries that are not readable files" if len(problems) > 1 else "an entry that is not a readable file"
    listed = "; ".join(f"{name} is a {problem}" for name, problem, _ in problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    all_links = all(is_link for _, _, is_link in problems)
    return ArchiveError(
        f"folder {root.name} has {count}: {listed}{more};"
        " point each link at an existing file (linked folders are not followed), or remove the entry",
        code=ErrorCode.SYMLINK if all_links else ErrorCode.NOT_REGULAR,
        member=problems[0][0],
    )
