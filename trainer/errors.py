"""Errors the CLI turns into a one-line message and exit status instead of a traceback."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from the user (flag, config file, checkpoint, path). CLI exit status 2."""

    exit_code = 2


class ConfigError(UserError):
    """A config key or value is unknown or invalid."""


class CheckpointError(UserError):
    """A checkpoint is missing, unreadable, or does not fit the requested model/classes."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the run stops early. CLI exit status 3."""

    exit_code = 3
