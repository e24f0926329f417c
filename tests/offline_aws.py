"""Answer boto3 calls in-process from canned (or stateful) responses, after botocore validated and serialized them.

It patches `BaseClient._make_request`, the step after parameter validation, serialization and boto3's
DynamoDB type transformation, where a request would go on the wire. So a handler passing a bad value to
an AWS call gets the real `ParamValidationError`, resource-layer tables work, and nothing leaves the
process. Unlike a botocore `Stubber` (a fixed queue of expected calls) the answers here may depend on
state, which is what re-polled handlers (the Studio teardown's isComplete) need. `tests/faults.py` sits
one step earlier (`_make_api_call`) and composes with it, nested either way.

    with offline_aws({"GetItem": {"Item": {...}}, "PutItem": {}}) as calls:
        handler(event)
    assert [c.operation for c in calls] == ["GetItem", "PutItem"]

An answer is a parsed response dict, a callable `(params) -> dict` (params: the operation's input as the
handler gave it; DynamoDB values in their typed form, `{"S": ...}`), or an `Error` dict
(`{"Error": {"Code": ...}}`, see `error`) which botocore raises as a ClientError.
An operation with no answer raises `Unanswered`, so a harness gap is never mistaken for handler behaviour.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock

from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient

from tests.faults import Call

Answer = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]
# Operations that change something: a refusal must come before any of them.
WRITE_PREFIXES = (
    "Put",
    "Create",
    "Copy",
    "Upload",
    "Start",
    "Send",
    "Delete",
    "Update",
    "Publish",
    "Invoke",
    "Revoke",
    "Associate",
    "Disassociate",
    "Enable",
    "CompleteMultipart",
    "AbortMultipart",
)


class Unanswered(AssertionError):
    """The handler made a call the test world has no answer for (a gap in the test, not in the handler)."""


def is_write(call: Call) -> bool:
    return call.operation.startswith(WRITE_PREFIXES)


@contextmanager
def offline_aws(answers: Mapping[str, Answer], *, passthrough: bool = False) -> Iterator[list[Call]]:
    """Answer every AWS call inside the block from `answers` (operation name -> answer); yields the calls.

    `passthrough`: an operation without an answer goes where it would have gone (moto, when it is active),
    to fill what moto lacks (SageMaker endpoints, Studio apps) and let moto do the rest.
    """
    calls: list[Call] = []
    original_emit = BaseClient._emit_api_params
    original_request = BaseClient._make_request

    def emit_api_params(client: BaseClient, api_params: Any, operation_model: Any, context: Any) -> Any:
        # Keep the call's parameters (as the handler gave them, after boto3's DynamoDB typing) for stateful
        # answers; this step runs inside botocore's own _make_api_call, whatever wraps it (tests.faults).
        params = original_emit(client, api_params=api_params, operation_model=operation_model, context=context)
        client._offline_params = params  # type: ignore[attr-defined]
        return params

    def make_request(client: BaseClient, operation_model: Any, request_dict: Any, request_context: Any) -> Any:
        name = operation_model.name
        calls.append(Call(client.meta.service_model.endpoint_prefix, name))
        if name not in answers and passthrough:
            return original_request(client, operation_model, request_dict, request_context)
        if name not in answers:
            raise Unanswered(f"no answer for {client.meta.service_model.endpoint_prefix}:{name}")
        answer = answers[name]
        params = client.__dict__.pop("_offline_params", {})
        parsed = dict(answer(params) if callable(answer) else copy.deepcopy(answer))
        status = int(parsed.pop("_status", 400 if "Error" in parsed else 200))
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "HTTPHeaders": {}})
        return AWSResponse("https://offline.invalid", status, {}, None), parsed

    with (
        mock.patch.object(BaseClient, "_emit_api_params", emit_api_params),
        mock.patch.object(BaseClient, "_make_request", make_request),
    ):
        yield calls


def error(code: str, message: str = "", status: int = 400) -> dict[str, Any]:
    """An answer botocore turns into a ClientError with `code`."""
    return {"Error": {"Code": code, "Message": message or code}, "_status": status}
