"""The user's config file: default store, staff id, playbook and urgency overrides.

It lives in the platform's user config folder (``$XDG_CONFIG_HOME/casecli/config.toml``
on Linux, ``~/Library/Application Support/casecli`` on macOS, ``%APPDATA%\\casecli`` on
Windows); ``CASECLI_CONFIG`` points elsewhere.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from casecli.core.errors import CasecliError, UsageError


def config_dir() -> Path:
    explicit = os.environ.get("CASECLI_CONFIG")
    if explicit:
        return Path(explicit).expanduser().parent
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "casecli"


def config_path() -> Path:
    explicit = os.environ.get("CASECLI_CONFIG")
    return Path(explicit).expanduser() if explicit else config_dir() / "config.toml"


def load() -> dict[str, Any]:
    path = config_path()
    if not path.is_file():
        return {}
    import tomllib  # here, not at the top: most runs have no config file (start-up time)

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CasecliError(
            f"The config file {path} is not valid TOML ({exc}); fix or remove it."
        ) from None
    except OSError as exc:
        raise CasecliError(f"Cannot read the config file {path} ({exc.strerror}).") from None


# Keys a user may set ------------------------------------------------------------------

KEYS: dict[str, str] = {
    "db": "the store (SQLite file) used when --db is not given",
    "user": "your staff id, used when --as is not given",
    "playbooks": "a folder of playbook TOML files over the defaults",
    "timezone": "the jurisdiction's time zone (e.g. America/Chicago): export times with an "
    "offset are stored in it; default the machine's",
}
URGENCY_PREFIX = "urgency."


class Entry(NamedTuple):
    key: str
    value: Any  # None when neither set nor defaulted
    source: str  # "set" | "default" | "unset" | "unknown" (in the file, but not a key)
    about: str


def _terms() -> dict[str, tuple[float, str]]:
    """The urgency terms' coefficients and the urgency settings in days (``stuck_days``)
    or months (``no_payment_months``)."""
    from casecli.core.engine.urgency import SETTINGS, TERMS

    return {**TERMS, **{k: (float(v), about) for k, (v, about) in SETTINGS.items()}}


def _is_days(term: str) -> bool:
    from casecli.core.engine.urgency import SETTINGS

    return term in SETTINGS


def _unit(term: str) -> str:
    """What a setting counts: ``no_payment_months`` months, the others days."""
    return "months" if term.endswith("_months") else "days"


def _days_ok(value: float) -> bool:
    return value == int(value) and 1 <= value <= 36_500


def known_keys() -> list[str]:
    return [*KEYS, *(URGENCY_PREFIX + t for t in _terms())]


def check_key(key: str) -> str:
    """``key`` if casecli knows it, else a UsageError naming the known ones."""
    if key in KEYS:
        return key
    if key.startswith(URGENCY_PREFIX):
        term = key[len(URGENCY_PREFIX) :]
        if term in _terms():
            return key
        raise UsageError(
            f"{key} is not an urgency term or setting; use one of "
            f"{', '.join(URGENCY_PREFIX + t for t in _terms())}."
        )
    raise UsageError(
        f"{key!r} is not a config key; use one of {', '.join(KEYS)} or urgency.TERM "
        "(casecli config list shows them all)."
    )


def check_value(key: str, raw: str) -> Any:
    """The value to store for ``key`` given as text, or a UsageError saying what is wanted."""
    key = check_key(key)
    text = raw.strip()
    if key.startswith(URGENCY_PREFIX):
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise UsageError(f"{key} must be a number, like 2.5, not {raw!r}.")
        if _is_days(key[len(URGENCY_PREFIX) :]):
            if not _days_ok(number):
                unit, like = ("months", "2") if key.endswith("_months") else ("days", "90")
                raise UsageError(f"{key} is a number of {unit}, like {like}, not {raw!r}.")
            return int(number)
        return number
    if not text:
        raise UsageError(f"{key} needs a value; to remove it, use casecli config unset {key}.")
    if key == "user":
        if any(ch.isspace() for ch in text):
            raise UsageError(f"user must be a staff id like W1, not {raw!r}.")
        return text
    if key == "timezone":
        from casecli.core.when import zone

        try:
            zone(text)
        except ValueError:
            raise UsageError(
                f"timezone must name a time zone such as America/Chicago, not {raw!r}."
            ) from None
        return text
    if key == "db":
        from casecli.core.store.team import is_team

        if is_team(text):  # a team store's address, kept as written (never echoed)
            return text
    path = Path(text).expanduser().absolute()
    if key == "playbooks" and not path.is_dir():
        raise UsageError(f"playbooks must be a folder of playbook TOML files; {path} is not one.")
    if key == "playbooks":
        from casecli.core.engine import playbooks

        playbooks.load(path)  # a broken playbook is refused now, not at the next `casecli next`
    if key == "db" and not path.parent.is_dir():
        raise UsageError(
            f"The folder for the store, {path.parent}, does not exist; create it first."
        )
    return str(path)


def _lookup(cfg: dict[str, Any], key: str) -> Any:
    if key.startswith(URGENCY_PREFIX):
        table = cfg.get("urgency")
        return table.get(key[len(URGENCY_PREFIX) :]) if isinstance(table, dict) else None
    return cfg.get(key)


def default(key: str) -> Any:
    if key.startswith(URGENCY_PREFIX):
        return _terms()[key[len(URGENCY_PREFIX) :]][0]
    return None


def get_value(key: str, cfg: dict[str, Any] | None = None) -> Entry:
    """A key's value as it stands: set in the file, a default, or unset."""
    key = check_key(key)
    cfg = load() if cfg is None else cfg
    about = KEYS.get(key) or _terms()[key[len(URGENCY_PREFIX) :]][1]
    value = _lookup(cfg, key)
    if value is not None:
        return Entry(key, value, "set", about)
    fallback = default(key)
    return Entry(key, fallback, "unset" if fallback is None else "default", about)


def entries(cfg: dict[str, Any] | None = None) -> list[Entry]:
    """Every known key, then anything else the file holds (marked unknown)."""
    cfg = load() if cfg is None else cfg
    out = [get_value(key, cfg) for key in known_keys()]
    known = set(known_keys())
    for name, value in cfg.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                if f"{name}.{sub}" not in known:
                    out.append(Entry(f"{name}.{sub}", inner, "unknown", "not a casecli key"))
        elif name not in known:
            out.append(Entry(name, value, "unknown", "not a casecli key"))
    return out


def save(cfg: dict[str, Any]) -> Path:
    """Write the config file (folder created; file mode 0600), atomically."""
    import tomli_w

    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(cfg, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise CasecliError(f"Cannot write the config file {path} ({exc.strerror}).") from None
    return path


def set_value(key: str, raw: str) -> Any:
    """Validate and store ``key = raw`` in the config file; the value stored."""
    value = check_value(key, raw)
    cfg = load()
    if key.startswith(URGENCY_PREFIX):
        table = cfg.get("urgency")
        if not isinstance(table, dict):
            table = cfg["urgency"] = {}
        table[key[len(URGENCY_PREFIX) :]] = value
    else:
        cfg[key] = value
    save(cfg)
    return value


def unset_value(key: str) -> bool:
    """Remove ``key`` from the config file; False if it was not set."""
    cfg = load()
    if key.startswith(URGENCY_PREFIX) and isinstance(cfg.get("urgency"), dict):
        table = cfg["urgency"]
        if table.pop(key[len(URGENCY_PREFIX) :], None) is None:
            return _unknown_or_false(key)
        if not table:
            del cfg["urgency"]
    elif key in cfg and not isinstance(cfg[key], dict):
        del cfg[key]
    else:
        return _unknown_or_false(key)
    save(cfg)
    return True


def _unknown_or_false(key: str) -> bool:
    check_key(key)  # an unknown key that is not in the file either: say so
    return False


def urgency_overrides(cfg: dict[str, Any] | None = None) -> dict[str, float]:
    """The urgency coefficients the config file sets (term -> number)."""
    cfg = load() if cfg is None else cfg
    table = cfg.get("urgency", {})
    if not isinstance(table, dict):
        raise CasecliError(
            f"The config file {config_path()} sets urgency to a value, not a table of terms; "
            "casecli config unset urgency."
        )
    out: dict[str, float] = {}
    for term, value in table.items():
        if term not in _terms():
            raise CasecliError(
                f"The config file {config_path()} sets urgency.{term}, which is not an urgency "
                f"term; casecli config unset urgency.{term}."
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CasecliError(
                f"The config file {config_path()} sets urgency.{term} to {value!r}, not a "
                f"number; casecli config set urgency.{term} NUMBER."
            )
        if not math.isfinite(value):  # TOML reads nan and inf: no ranking survives them
            raise CasecliError(
                f"The config file {config_path()} sets urgency.{term} to {value!r}, not a "
                f"finite number; casecli config set urgency.{term} NUMBER."
            )
        if _is_days(term) and not _days_ok(float(value)):
            raise CasecliError(
                f"The config file {config_path()} sets urgency.{term} to {value!r}, not a "
                f"number of {_unit(term)}; casecli config set urgency.{term} {_unit(term).upper()}."
            )
        out[term] = float(value)
    return out


def timezone(cfg: dict[str, Any] | None = None) -> str | None:
    """The jurisdiction's time zone the config names (an IANA name), if any."""
    cfg = load() if cfg is None else cfg
    value = cfg.get("timezone")
    return str(value) if value else None


def playbooks_dir(cfg: dict[str, Any] | None = None) -> Path | None:
    """The folder of playbooks the config names, if any."""
    cfg = load() if cfg is None else cfg
    value = cfg.get("playbooks")
    return Path(str(value)).expanduser() if value else None
