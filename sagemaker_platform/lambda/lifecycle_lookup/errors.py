"""Errors of the registry lookup step. A SageMaker Pipelines Lambda step fails with the error's message.

A malformed event raises the contract's `InvalidEventError` (`sagemaker_platform.contracts.handler_errors`).
"""

from __future__ import annotations

from sagemaker_platform.contracts.handler_errors import HandlerError
from sagemaker_platform.contracts.handler_errors import InvalidEventError as InvalidEventError


class RegistryLookupError(HandlerError):
    """Base of every error this handler raises on purpose, but a malformed event."""


class NoApprovedVersionError(RegistryLookupError):
    """`latest` mode: the group has no Approved version to score with."""


class RegistryUnavailableError(RegistryLookupError):
    """The registry could not be read (throttled, unavailable, denied, unreachable); the step may be retried."""


class BadMetricError(RegistryLookupError):
    """The champion's `objective_value` metadata is missing or not a number (it was not registered by the platform)."""
