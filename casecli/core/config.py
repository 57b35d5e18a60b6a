"""The user's config file: default store, staff id, playbook and urgency overrides.

It lives in the platform's user config folder (``$XDG_CONFIG_HOME/casecli/config.toml``
on Linux, ``~/Library/Application Support/casecli`` on macOS, ``%APPDATA%\\casecli`` on
Windows); ``CASECLI_CONFIG`` points elsewhere.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from casecli.core.errors import CasecliError


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
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CasecliError(
            f"The config file {path} is not valid TOML ({exc}); fix or remove it."
        ) from None
    except OSError as exc:
        raise CasecliError(f"Cannot read the config file {path} ({exc.strerror}).") from None
