"""Errors of the tuning request builder. Step Functions matches them by class name.

A failed AWS call raises the contract's `AwsTransientError` (retried) or `AwsPermanentError` (not retried)
(`sagemaker_platform.contracts.aws_faults`), never a botocore error.
"""

from __future__ import annotations


class TuningRequestError(Exception):
    """Base of every error this handler raises on purpose."""


class InvalidSpecError(TuningRequestError):
    """The tuning spec (execution input or config) is invalid; nothing was called on AWS."""


class InvalidInputError(TuningRequestError):
    """The execution input names no spec, an unknown spec, or both a spec name and a spec."""


class ParentNotFoundError(TuningRequestError):
    """`warm_start.parent_spec` names a spec with no Completed tuning job yet; run that spec first."""
