"""Errors of the registry lookup step. A SageMaker Pipelines Lambda step fails with the error's message."""

from __future__ import annotations


class RegistryLookupError(Exception):
    """Base of every error this handler raises on purpose."""


class InvalidEventError(RegistryLookupError):
    """The step's arguments lack the group, or name an unknown mode."""


class NoApprovedVersionError(RegistryLookupError):
    """`latest` mode: the group has no Approved version to score with."""


class RegistryUnavailableError(RegistryLookupError):
    """The registry could not be read (throttled, unavailable, denied, unreachable); the step may be retried."""


class BadMetricError(RegistryLookupError):
    """The champion's `objective_value` metadata is missing or not a number (it was not registered by the platform)."""
