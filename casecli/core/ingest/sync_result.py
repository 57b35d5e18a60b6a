"""What a sync reports: per-file counts, rejects, and the JSON summary scripts rely on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileResult:
    record_type: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0
    rejected: int = 0
    repeated: int = 0  # rows that repeat an earlier row exactly (same key, same values)
    skipped: bool = False


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class SyncResult:
    status: str  # applied | unchanged | would_apply (a dry run) | failed
    sync_id: int | None
    kind: str
    source: str | None
    as_of: str | None
    profile: str
    dry_run: bool
    files: list[FileResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    resolved: int = 0  # earlier rejects applied this time
    older_rejects: int = 0  # outstanding rejects of earlier exports, not of this one
    message: str | None = None

    @property
    def exit_code(self) -> int:
        """0 applied, 3 applied with rejects in this export, 1 nothing applied."""
        if self.status == "failed":
            return 1
        return 3 if self.rejects else 0

    def to_json(self) -> dict[str, object]:
        files: dict[str, dict[str, object]] = {}
        for f in self.files:
            key = f.file if f.file not in files else f"{f.file}:{f.record_type}"
            files[key] = {
                "table": f.record_type,
                "rows": f.rows,
                "inserted": f.inserted,
                "updated": f.updated,
                "unchanged": f.unchanged,
                "gone": f.gone,
                "rejected": f.rejected,
                "repeated": f.repeated,
                "skipped": f.skipped,
            }
        return {
            "status": self.status,
            "sync_id": self.sync_id,
            "kind": self.kind,
            "source": self.source,
            "as_of": self.as_of,
            "profile": self.profile,
            "dry_run": self.dry_run,
            "files": files,
            "rejects": [r.__dict__ for r in self.rejects],
            "resolved": self.resolved,
            "older_rejects": self.older_rejects,
            "warnings": self.warnings,
            "message": self.message,
        }
