"""Exceptions that carry a message meant for the user, and the exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class PodsyncError(Exception):
    """An error the user can act on; the CLI prints it without a traceback."""

    exit_code = EXIT_FAILED


class UsageError(PodsyncError):
    """Bad arguments or configuration (exit status 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The configuration file cannot be read or is invalid."""


class FeedError(PodsyncError):
    """A feed could not be fetched or is not a podcast feed."""


class DeviceError(PodsyncError):
    """A player is unknown, not mounted, busy or unusable."""


class StateError(PodsyncError):
    """The state database cannot be used."""


class Cancelled(Exception):
    """A task was stopped because the run is being interrupted."""


class SkipItem(Exception):
    """A processing step decided this item is not to be copied (not a failure)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a run; the message says what finished and what resumes."""
