"""Errors of the write-the-report step. Step Functions matches them by class name.

A failed AWS call raises the contract's `AwsTransientError` (retried) or `AwsPermanentError` (not retried)
(`sagemaker_platform.contracts.aws_faults`), never a botocore error.
"""

from __future__ import annotations


class ReportError(Exception):
    """Base of every error this handler raises on purpose."""


class InvalidEventError(ReportError):
    """The event lacks the tuning job name, or a field is malformed (the message names the field)."""
