"""Small helpers several commands share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casecli.cli.options import Settings

if TYPE_CHECKING:
    from casecli.core.playbooks import Playbook


def books(settings: Settings) -> dict[str, Playbook]:
    """The playbooks: the defaults, under the config's ``playbooks`` folder if it names one.

    ``settings`` is taken so that a future ``--playbooks`` option has one place to go.
    """
    from casecli.core import config, playbooks

    return playbooks.load(config.playbooks_dir())
