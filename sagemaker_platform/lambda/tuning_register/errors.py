"""Errors of the register-best-model step. Step Functions matches them by class name.

A malformed event raises the contract's `InvalidEventError`, a failed AWS call `AwsTransientError` (retried)
or `AwsPermanentError` (not retried): `sagemaker_platform.contracts.handler_errors` says why they are shared.
"""

from __future__ import annotations

from sagemaker_platform.contracts.handler_errors import HandlerError
from sagemaker_platform.contracts.handler_errors import InvalidEventError as InvalidEventError


class RegisterError(HandlerError):
    """Base of every error this handler raises on purpose, but a malformed event."""


class NoBestTrainingJobError(RegisterError):
    """The tuning job finished without a best training job (no job reported the objective metric)."""


class NoModelArtifactsError(RegisterError):
    """The best training job has no model artifact to register."""
