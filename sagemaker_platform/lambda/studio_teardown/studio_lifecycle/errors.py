"""Errors of the Studio lifecycle handler. Raising one fails the CloudFormation operation with its message."""

from __future__ import annotations


class StudioLifecycleError(Exception):
    """Base of every error this handler raises on purpose."""


class MalformedEventError(StudioLifecycleError):
    """The custom resource event lacks a field or carries a value this handler cannot act on."""


class DeletionFailedError(StudioLifecycleError):
    """SageMaker, EFS or EC2 reports that deleting a resource failed; CloudFormation must hear it."""


class AwsCallError(StudioLifecycleError):
    """An AWS API call failed for a reason other than "already gone" or "not yet" (or stayed throttled)."""
