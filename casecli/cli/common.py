"""Small helpers several commands share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casecli.cli.options import Settings

if TYPE_CHECKING:
    from casecli.core.engine.playbooks import Playbook


def books(settings: Settings, cfg: dict[str, Any] | None = None) -> dict[str, Playbook]:
    """The playbooks: the defaults, under ``--playbooks DIR`` or the config's folder
    (``cfg``: the config file already read, if the caller has it)."""
    from casecli.core.engine import playbooks
    from casecli.core.local import config

    return playbooks.load(settings.playbooks or config.playbooks_dir(cfg))
