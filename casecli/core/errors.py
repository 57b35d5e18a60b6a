"""Errors a user can act on. The CLI prints ``str(error)`` as one sentence and exits."""


class CasecliError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""

    exit_code = 1


class UsageError(CasecliError):
    """The command was called wrongly (exit status 2, like a bad option)."""

    exit_code = 2
