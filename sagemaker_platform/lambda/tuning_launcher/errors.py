"""Errors of the training job launcher."""

from __future__ import annotations

from sagemaker_platform.contracts.handler_errors import HandlerError


class LauncherError(HandlerError):
    """Base of every error this handler raises on purpose."""


class InvalidMessageError(LauncherError):
    """A queue message is not a valid launch request; it goes back to the queue, then to the DLQ."""


class StillThrottledError(LauncherError):
    """CreateTrainingJob kept throttling after every retry; the message goes back to the queue."""
