"""Small helpers several commands share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casecli.cli.options import Settings

if TYPE_CHECKING:
    from casecli.core.playbooks import Playbook


def books(settings: Settings) -> dict[str, Playbook]:
    """The playbooks: the defaults, under ``--playbooks DIR`` or the config's folder."""
    from casecli.core import config, playbooks

    return playbooks.load(settings.playbooks or config.playbooks_dir())
