"""SchemaToolsError and its subclasses: one-line messages that name the problem and the fix."""

from __future__ import annotations


class SchemaToolsError(Exception):
    """Base of every error a user can cause; the CLI prints its message on one line and exits 2."""

    exit_code = 2

    def __str__(self) -> str:
        return " ".join(str(self.args[0]).split()) if self.args else self.__class__.__name__

    def _repr_html_(self) -> str:
        """In a notebook (`display(error)`): a box with what went wrong, why, and the fix as a copyable command."""
        from .notebook_display import error_html

        return error_html(self)


class ConfigurationError(SchemaToolsError):
    """alembic.ini, the metadata target or an option is wrong."""


class ConnectionFailed(SchemaToolsError):
    """The database could not be reached or refused the login."""


class DatabaseNotFound(ConnectionFailed):
    """The SQLite file or the named database does not exist (and is never created by us)."""


class EnvironmentMismatch(ConfigurationError):
    """The app's env.py reached another database than the one the command was given; nothing ran there."""


class UnknownDriver(ConfigurationError):
    """The URL names a dialect or driver that is not installed."""


class UnsupportedBackend(ConfigurationError):
    """The feature needs per-backend knowledge (a catalog query, a lock) that the URL's backend lacks."""


class RevisionError(SchemaToolsError):
    """The revision scripts are broken: syntax, missing or duplicate ids, cycles, unknown stamps."""


class NotUpToDate(SchemaToolsError):
    """The database is not at the scripts' head, so a new revision would be drafted on a stale base."""


class MultipleHeads(SchemaToolsError):
    """The scripts have more than one head; they must be merged first."""


class DataLossRefused(SchemaToolsError):
    """A destructive operation was about to run without an explicit allow."""


class MigrationFailed(SchemaToolsError):
    """An upgrade or downgrade failed; the message says what ran and how the database was left.

    `report` holds the MigrationReport of a guarded run (None for failures before anything ran).
    """

    def __init__(self, message: str, *, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class LockTimeout(MigrationFailed):
    """Another migration held the migration lock for longer than the timeout; nothing was run."""


class GraphvizMissing(SchemaToolsError):
    """Graphviz's `dot` is not on PATH."""


class BackupError(SchemaToolsError):
    """A backup or restore could not be made."""


def _show_in_notebooks() -> None:
    """Inside a Jupyter kernel, an uncaught SchemaToolsError shows as its box and one line, not a traceback."""
    from .notebook_display import register_error_display

    register_error_display((SchemaToolsError,))


_show_in_notebooks()
