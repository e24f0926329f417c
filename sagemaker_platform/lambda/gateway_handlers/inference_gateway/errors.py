"""Errors of the inference gateway handlers.

The ensemble step task raises the contract's `AwsTransientError` (retried) or `AwsPermanentError` for a failed
AWS call (`sagemaker_platform.contracts.aws_faults`).
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway handlers raise on purpose."""


class BadRequest(GatewayError):
    """The API request is malformed; the message says what is wrong (HTTP 400)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class NotFound(GatewayError):
    """No prediction with that id is visible to the caller (HTTP 404)."""


class Conflict(GatewayError):
    """A client token was reused for a different request (HTTP 409)."""


class MalformedEvent(GatewayError):
    """A queue message or state machine task that the gateway cannot read: it goes to the dead-letter queue."""


class UnknownPrediction(GatewayError):
    """An event names a prediction with no record; retried, then dead-lettered."""


class NotReady(GatewayError):
    """An event arrived before the record reached the state it needs (out of order); retried later."""
