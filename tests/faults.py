"""One reusable fault injector for every handler test: one failure of each kind on one AWS call at a time.

It patches `botocore.client.BaseClient._make_api_call`, the point every boto3 call passes through, so it
works the same under moto (server or decorator) and under a botocore `Stubber` (the stubber answers
inside `_make_api_call`, after the injector had its chance to fail the call).

Typical use, for a handler `run(event)` over a world that `fresh_world()` rebuilds:

    calls = record_calls(lambda: run(event))                   # the calls a fault-free run makes
    for fault in fault_plan(calls):                             # each call x each kind, one at a time
        world = fresh_world()
        with inject(fault):
            outcome = attempt(lambda: run(event))               # may raise: the platform retries
        run_until_settled(...)                                  # the retry Lambda/SQS/Step Functions makes
        assert world.state() == expected_state                  # nothing lost, duplicated or regressed

`FaultKind` names the four kinds the platform must survive; `fault_error` builds the exception botocore
would raise for each.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError, EndpointConnectionError

T = TypeVar("T")

_ORIGINAL_MAKE_API_CALL = BaseClient._make_api_call


class FaultKind(enum.Enum):
    """The failures every handler is tested with, once on each AWS call it makes."""

    THROTTLING = "ThrottlingException"
    UNAVAILABLE = "ServiceUnavailable"
    ACCESS_DENIED = "AccessDeniedException"
    CONNECTION = "EndpointConnectionError"


ALL_KINDS: tuple[FaultKind, ...] = tuple(FaultKind)


@dataclass(frozen=True)
class Call:
    """One AWS call: the service's endpoint prefix (`sagemaker`, `dynamodb`, …) and the operation name."""

    service: str
    operation: str

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass(frozen=True)
class Fault:
    """Fail the `occurrence`-th call (1-based) of `call` with `kind`; every other call goes through."""

    call: Call
    kind: FaultKind
    occurrence: int = 1

    def __str__(self) -> str:
        return f"{self.kind.name} on {self.call} #{self.occurrence}"


def fault_error(kind: FaultKind, operation: str) -> Exception:
    """The exception botocore raises for `kind` on `operation` (a ClientError, or a connection error)."""
    if kind is FaultKind.CONNECTION:
        return EndpointConnectionError(endpoint_url="https://injected.fault.invalid")
    status = {FaultKind.THROTTLING: 400, FaultKind.UNAVAILABLE: 503, FaultKind.ACCESS_DENIED: 403}[kind]
    return ClientError(
        {
            "Error": {"Code": kind.value, "Message": f"injected {kind.name} on {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def _call_of(client: BaseClient, operation: str) -> Call:
    return Call(client.meta.service_model.endpoint_prefix, operation)


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Record every AWS call made inside the block, in order (the list fills as calls are made)."""
    calls: list[Call] = []

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(_call_of(client, operation))
        return _ORIGINAL_MAKE_API_CALL(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", make_api_call):
        yield calls


def record_calls(action: Callable[[], Any]) -> list[Call]:
    """The AWS calls `action` makes, in order (exceptions from `action` propagate)."""
    with recording() as calls:
        action()
    return list(calls)


@dataclass
class Injection:
    """What an `inject` block did: whether the fault fired, and the calls made (the failed one included)."""

    fault: Fault
    fired: bool = False
    calls: list[Call] | None = None


@contextmanager
def inject(fault: Fault) -> Iterator[Injection]:
    """Fail exactly one call, the `fault.occurrence`-th of `fault.call`, with `fault.kind`, inside the block."""
    injection = Injection(fault, calls=[])
    seen: Counter[Call] = Counter()

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        call = _call_of(client, operation)
        assert injection.calls is not None
        injection.calls.append(call)
        seen[call] += 1
        if call == fault.call and seen[call] == fault.occurrence and not injection.fired:
            injection.fired = True
            raise fault_error(fault.kind, operation)
        return _ORIGINAL_MAKE_API_CALL(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", make_api_call):
        yield injection


def fault_plan(calls: list[Call], kinds: tuple[FaultKind, ...] = ALL_KINDS) -> list[Fault]:
    """Every (call occurrence x kind) of a fault-free run's calls: the single faults a handler must survive."""
    seen: Counter[Call] = Counter()
    plan: list[Fault] = []
    for call in calls:
        seen[call] += 1
        plan.extend(Fault(call, kind, seen[call]) for kind in kinds)
    return plan


def expected_task_error(kind: FaultKind) -> str:
    """The error a Step Functions task's handler must end with after `kind`: retried (transient) or final.

    The names are the contract's (`sagemaker_platform.contracts.aws_faults`); the state machines retry the first.
    """
    return "AwsPermanentError" if kind is FaultKind.ACCESS_DENIED else "AwsTransientError"


def attempt(action: Callable[[], T]) -> tuple[T | None, BaseException | None]:
    """Run `action` as the platform would once: its result, or the exception it ended with."""
    try:
        return action(), None
    except Exception as exc:  # the test inspects it: a platform retry follows, or it is the typed refusal
        return None, exc
