"""Find and read the rule files of a rule set, including files named by `include`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from worker.rules.errors import LintError
from worker.rules.yaml_positions import Document, load_documents

RULE_FILE_SUFFIXES = (".yaml", ".yml")


@dataclass
class RuleFiles:
    """The bytes and documents of every file read, by resolved path.

    `display` maps a resolved path to the path shown in messages (as given,
    or relative to the including file's folder).
    """

    content: dict[Path, bytes] = field(default_factory=dict)
    documents: dict[Path, list[Document]] = field(default_factory=dict)
    display: dict[Path, Path] = field(default_factory=dict)
    errors: list[LintError] = field(default_factory=list)

    def read(self, path: Path, display_path: Path) -> bool:
        """Read and parse `path` once; return False when it cannot be read."""
        resolved = path.resolve()
        if resolved in self.content:
            return True
        try:
            data = resolved.read_bytes()
        except OSError as error:
            self.errors.append(LintError(display_path, 1, 1, f"cannot read the rule file: {error.strerror or error}", "file-unreadable"))
            return False
        self.content[resolved] = data
        self.display[resolved] = display_path
        documents, errors = load_documents(display_path, data)
        self.documents[resolved] = documents
        self.errors.extend(errors)
        return True


def collect_rule_files(paths: list[Path]) -> tuple[list[Path], list[LintError]]:
    """Expand folders into their rule files (recursively, sorted); report paths that do not exist."""
    files: list[Path] = []
    errors: list[LintError] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                candidate
                for candidate in path.rglob("*")
                if candidate.suffix in RULE_FILE_SUFFIXES
                and candidate.is_file()
                and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
            )
            if not found:
                errors.append(LintError(path, 1, 1, f"no rule files (*.yaml, *.yml) found in folder {path}", "no-rule-files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            errors.append(LintError(path, 1, 1, f"rule file or folder {path} not found", "file-not-found"))
    return files, errors
