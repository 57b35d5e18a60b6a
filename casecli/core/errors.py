"""Errors a user can act on. The CLI prints ``str(error)`` as one sentence and exits."""


class CasecliError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""

    exit_code = 1


class UsageError(CasecliError):
    """The command was called wrongly (exit status 2, like a bad option)."""

    exit_code = 2


def from_driver(exc: BaseException) -> bool:
    """Whether ``exc`` is the PostgreSQL driver's (psycopg's: a team store refused or could
    not be reached), not a bug of casecli's. Tells without importing the driver."""
    return type(exc).__module__.split(".")[0] == "psycopg"
