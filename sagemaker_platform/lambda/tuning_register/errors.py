"""Errors of the register-best-model step. Step Functions matches them by class name.

A failed AWS call raises the contract's `AwsTransientError` (retried) or `AwsPermanentError` (not retried)
(`sagemaker_platform.contracts.aws_faults`), never a botocore error.
"""

from __future__ import annotations


class RegisterError(Exception):
    """Base of every error this handler raises on purpose."""


class NoBestTrainingJobError(RegisterError):
    """The tuning job finished without a best training job (no job reported the objective metric)."""


class InvalidEventError(RegisterError):
    """The event lacks the tuning job description or the register settings, or a field is malformed."""


class NoModelArtifactsError(RegisterError):
    """The best training job has no model artifact to register."""
