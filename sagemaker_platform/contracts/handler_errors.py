"""The errors every handler raises alike: the root of each handler's own errors, and the malformed event.

Lambda reports a raised exception by its class name only (no module, no hierarchy): a state machine's Retry
and Catch, a SageMaker Pipelines step and a CloudFormation custom resource all see ``InvalidEventError``
whichever handler raised it, so the class is written once here. A failed AWS call raises `aws_faults`'
`AwsTransientError` (retried) or `AwsPermanentError` (not retried), never a botocore error.

Standard library only: a contract, staged into the handler assets with the others.
"""

from __future__ import annotations


class HandlerError(Exception):
    """Root of every error a platform handler raises on purpose; each handler's `errors.py` subclasses it."""


class InvalidEventError(HandlerError):
    """The event (or step input) lacks a field or a field is malformed; the message names the field. Raised
    before any AWS call."""
