"""Errors of the tuning request builder. Step Functions matches them by class name.

A failed AWS call raises the contract's `AwsTransientError` (retried) or `AwsPermanentError` (not retried):
`sagemaker_platform.contracts.handler_errors` says why they are shared.
"""

from __future__ import annotations

from sagemaker_platform.contracts.handler_errors import HandlerError


class TuningRequestError(HandlerError):
    """Base of every error this handler raises on purpose."""


class InvalidSpecError(TuningRequestError):
    """The tuning spec (execution input or config) is invalid; nothing was called on AWS."""


class InvalidInputError(TuningRequestError):
    """The execution input names no spec, an unknown spec, or both a spec name and a spec."""


class ParentNotFoundError(TuningRequestError):
    """`warm_start.parent_spec` names a spec with no Completed tuning job yet; run that spec first."""
