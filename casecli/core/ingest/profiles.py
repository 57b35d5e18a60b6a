"""Profiles map a real system's export onto the contract (EXPORTS.md, "Profiles").

A profile is a TOML file::

    name = "county-x"
    encoding = "cp1252"                  # default utf-8 (a BOM is always allowed)
    date_formats = ["%m/%d/%y %H:%M"]    # tried in order after ISO 8601
    two_digit_year_pivot = 40            # %y: 00-39 -> 20xx, 40-99 -> 19xx
    timezone = "America/New_York"        # offsets (+05:00, Z) become this local time

    [files.cases]
    file = "history.csv"                 # source file (default: cases.csv)
    distinct = true                      # identical rows collapse to one (derived files)
    [files.cases.columns]                # contract column = source column
    case_id = "CAS_ID"
    [files.cases.values.status]          # source value = contract value
    "Y" = "open"
    [files.cases.defaults]               # contract column = value when absent or empty
    program = "child_welfare"

Choices made here (EXPORTS.md is silent): a default fills a column the file lacks and
an empty cell of a mapped column; value maps match exactly, then case-insensitively,
and pass unmapped values through to validation; a date format that carries a time,
applied to a date column, keeps the date.
"""

from __future__ import annotations

import codecs
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from casecli.core.errors import CasecliError
from casecli.core.store.contract import BY_NAME, RecordType


@dataclass(frozen=True)
class FileMap:
    record_type: RecordType
    file: str | None  # None: the standard names (type.csv, type.csv.gz)
    columns: dict[str, str] = field(default_factory=dict)  # contract -> source
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    distinct: bool = False

    def source_column(self, contract_column: str) -> str:
        return self.columns.get(contract_column, contract_column)


@dataclass(frozen=True)
class Profile:
    name: str
    encoding: str = "utf-8"
    date_formats: tuple[str, ...] = ()
    two_digit_year_pivot: int | None = None
    timezone: str | None = None  # IANA name: offsets are converted to it (casecli.core.when)
    files: dict[str, FileMap] = field(default_factory=dict)
    fingerprint: str = "standard"
    path: Path | None = None

    def file_map(self, record_type: RecordType) -> FileMap:
        return self.files.get(record_type.name) or FileMap(record_type, None)


STANDARD = Profile("standard")


def resolve(
    spec: str | None,
    folder: Path,
    config_dir: Path | None = None,
    *,
    named_by_manifest: str | None = None,
) -> Profile:
    """The profile to read the export with.

    ``spec`` (``--profile``, typed by the admin) may be a path to any file, or a name
    looked up in the export folder and CONFIG/profiles/. A profile named by the export's
    own manifest is only a name, looked up in those two folders and nowhere else: an
    export must not be able to make casecli read other files of the machine."""
    if spec is None and named_by_manifest is not None:
        return _by_name(named_by_manifest, folder, config_dir)
    if spec is None or spec == "standard":
        return STANDARD
    if Path(spec).is_file():
        return load(Path(spec))
    return _by_name(spec, folder, config_dir)


def _by_name(name: str, folder: Path, config_dir: Path | None) -> Profile:
    if name == "standard":
        return STANDARD
    homes = [folder] + ([config_dir / "profiles"] if config_dir is not None else [])
    plain = name and "/" not in name and "\\" not in name and name not in (".", "..")
    if plain:
        for home in homes:
            for candidate in (home / name, home / f"{name}.toml"):
                real = candidate.resolve()
                if candidate.is_file() and home.resolve() in real.parents:
                    return load(candidate)
    raise CasecliError(
        f"The profile {name!r} was not found (a profile is named by its file in the export "
        f"folder or in the config folder's profiles/, or given by path with --profile); "
        "check the name."
    )


def load(path: Path) -> Profile:
    raw_bytes = path.read_bytes()
    where = path.name
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CasecliError(
            f"The profile {where} is not valid TOML ({exc}); fix the file."
        ) from None

    def fail(key: str, problem: str) -> CasecliError:
        return CasecliError(f"The profile {where}: {key} {problem}; fix the profile.")

    encoding = data.get("encoding", "utf-8")
    if not isinstance(encoding, str):
        raise fail("encoding", 'must be a text value such as "cp1252"')
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise fail("encoding", f"names an unknown encoding {encoding!r}") from None
    formats = data.get("date_formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise fail("date_formats", "must be a list of strptime formats")
    timezone = data.get("timezone")
    if timezone is not None:
        from casecli.core.when import zone

        try:
            zone(timezone if isinstance(timezone, str) else "")
        except ValueError:
            raise fail("timezone", 'must name a time zone such as "America/Chicago"') from None
    pivot = data.get("two_digit_year_pivot")
    if pivot is not None and (not isinstance(pivot, int) or not 0 <= pivot <= 99):
        raise fail("two_digit_year_pivot", "must be a whole number from 0 to 99")
    files: dict[str, FileMap] = {}
    file_tables = data.get("files", {})
    if not isinstance(file_tables, dict):
        raise fail("files", "must be a table of record types")
    for type_name, spec in file_tables.items():
        if type_name not in BY_NAME:
            raise fail(
                f"[files.{type_name}]", f"is not a record type (one of {', '.join(BY_NAME)})"
            )
        rt = BY_NAME[type_name]
        if not isinstance(spec, dict):
            raise fail(f"[files.{type_name}]", "must be a table")
        columns = _str_table(spec.get("columns", {}), f"[files.{type_name}.columns]", fail)
        defaults = _str_table(spec.get("defaults", {}), f"[files.{type_name}.defaults]", fail)
        for name in list(columns) + list(defaults):
            if name not in rt.names:
                raise fail(f"[files.{type_name}] {name}", f"is not a column of {type_name}")
        values: dict[str, dict[str, str]] = {}
        for col, mapping in spec.get("values", {}).items():
            if col not in rt.names:
                raise fail(f"[files.{type_name}.values.{col}]", f"is not a column of {type_name}")
            values[col] = _str_table(mapping, f"[files.{type_name}.values.{col}]", fail)
        file = spec.get("file")
        if file is not None and not isinstance(file, str):
            raise fail(f"[files.{type_name}] file", "must be a file name")
        files[type_name] = FileMap(rt, file, columns, values, defaults, bool(spec.get("distinct")))
    return Profile(
        name=str(data.get("name", path.stem)),
        encoding=encoding,
        date_formats=tuple(formats),
        two_digit_year_pivot=pivot,
        timezone=timezone,
        files=files,
        fingerprint=hashlib.sha256(raw_bytes).hexdigest(),
        path=path,
    )


def _str_table(table: object, key: str, fail: Callable[[str, str], CasecliError]) -> dict[str, str]:
    if not isinstance(table, dict):
        raise fail(key, "must be a table")
    out = {}
    for k, v in table.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        if not isinstance(v, str | int | float):
            raise fail(f"{key} {k}", "must be a text value")
        out[str(k)] = str(v)
    return out
