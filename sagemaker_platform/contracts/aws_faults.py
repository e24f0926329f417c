"""Which failed AWS calls a Step Functions task retries: one error name for transient, one for permanent.

Lambda reports a raised exception's class name as the task's error, and a state machine's Retry and Catch
match that name exactly (no class hierarchy). The handlers raise these two classes (`typed_aws_errors`) and
the constructs retry `TRANSIENT_ERROR`, both reading the names from here, so the two sides cannot drift.

Standard library only: botocore's exceptions are recognised by class name and ``response`` shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class AwsTransientError(Exception):
    """An AWS call failed in a way a later attempt can succeed (throttled, unavailable, unreachable): retried."""


class AwsPermanentError(Exception):
    """An AWS call was refused (access denied, validation, missing resource): not retried, caught and reported."""


TRANSIENT_ERROR = AwsTransientError.__name__
PERMANENT_ERROR = AwsPermanentError.__name__

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
# Server-side failures that a later attempt can get past (botocore's standard retry mode treats them alike).
UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
    }
)
# botocore's connection failures (subclasses of its HTTPClientError / ConnectionError), by class name.
CONNECTION_ERRORS = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ProxyConnectionError",
        "HTTPClientError",
    }
)


def classify(exc: BaseException) -> AwsTransientError | AwsPermanentError | None:
    """The typed error for a botocore failure `exc`; None for anything that is not a failed AWS call."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & CONNECTION_ERRORS:
        return AwsTransientError(f"AWS endpoint unreachable: {exc}")
    response = getattr(exc, "response", None)
    if "ClientError" in names and isinstance(response, dict):
        error = response.get("Error") or {}
        code = str(error.get("Code", ""))
        status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        operation = getattr(exc, "operation_name", "an AWS call")
        message = f"{operation} failed with {code or status}: {error.get('Message', '')}"[:1000]
        if code in THROTTLING_CODES or code in UNAVAILABLE_CODES or status >= 500:
            return AwsTransientError(message)
        return AwsPermanentError(message)
    if "ParamValidationError" in names:  # botocore refused the request before sending it
        return AwsPermanentError(f"invalid AWS request: {exc}"[:1000])
    return None


@contextmanager
def typed_aws_errors() -> Iterator[None]:
    """Inside the block, a failed AWS call raises `AwsTransientError` or `AwsPermanentError` (from the original).

    Anything else (the handler's own typed errors, bugs) passes through unchanged.
    """
    try:
        yield
    except Exception as exc:
        typed = classify(exc)
        if typed is None:
            raise
        raise typed from exc
