"""Typed errors of the deploy handlers. Step Functions retries and catches them by class name."""

from __future__ import annotations


class DeployError(Exception):
    """Base of every error a deploy handler raises on purpose."""


class EventError(DeployError):
    """The event (or step input) is malformed; `field` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UnknownGroup(EventError):
    """The event names a model package group that the pipeline is not configured for."""


class SpecError(DeployError):
    """The endpoint's published deployment spec is missing or malformed; `field` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"deployment spec {field}: {message}")


class SettingsError(DeployError):
    """The function's environment lacks a setting the construct should have given it."""


class Throttled(DeployError):
    """An AWS API kept throttling after the retries with backoff."""


class AwsUnavailable(DeployError):
    """An AWS API kept failing with a server error or could not be reached, after the retries with backoff."""


class AwsCallFailed(DeployError):
    """An AWS API refused a call (not throttling); the message carries the service's error code."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        self.operation = operation
        self.code = code
        super().__init__(f"{operation} failed with {code}: {message}")


class EndpointBusy(DeployError):
    """The endpoint is being created, updated or deleted; the state machine retries later."""


class EndpointFailed(DeployError):
    """The endpoint ended in the Failed state."""


class DeploymentRolledBack(DeployError):
    """SageMaker's deployment guardrails rolled the update back; the endpoint still runs the old config."""


class DeployTimeout(DeployError):
    """The endpoint did not reach InService in the configured time."""


class PackageNotApproved(DeployError):
    """The model package is no longer Approved in the registry when its deployment step runs."""


class SmokeTestFailed(DeployError):
    """The staging endpoint's answer to the smoke test request is not what was expected."""


class Superseded(DeployError):
    """A newer approved version of the same group replaces this deployment."""
