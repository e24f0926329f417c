"""The thin layer between the handlers and AWS: lazy clients, throttling retries, typed failures.

Tests point it at a local emulator with `AWS_ENDPOINT_URL`, or replace `client_factory`.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from deployer.errors import AwsCallFailed, AwsUnavailable, SettingsError, Throttled
from sagemaker_platform.contracts.aws_faults import THROTTLING_CODES, UNAVAILABLE_CODES

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Which error codes are throttling and which a transient server failure: one table for every handler.
TRANSIENT_CODES = UNAVAILABLE_CODES
MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.2
MAX_DELAY_SECONDS = 5.0
MAX_CACHED_CLIENTS = 24

sleep: Callable[[float], None] = time.sleep
"""Replaced in tests so that backoff costs no time."""

_clients: dict[tuple[str, str | None], BaseClient] = {}


def client_factory(service: str, credentials: dict[str, str] | None = None) -> BaseClient:
    """A boto3 client; botocore's own retries are off because `call` owns the throttling policy."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60)
    if credentials is None:
        return boto3.client(service, config=config)
    return boto3.client(
        service,
        config=config,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def client(service: str, credentials: dict[str, str] | None = None) -> BaseClient:
    """A cached client for `service`, with the function's own role or the given assumed-role credentials."""
    key = (service, None if credentials is None else credentials["AccessKeyId"])
    if key not in _clients:
        if len(_clients) >= MAX_CACHED_CLIENTS:
            # Each invocation assumes roles afresh: drop the clients of earlier credentials, keep the own-role ones.
            for stale in [cached for cached in _clients if cached[1] is not None]:
                del _clients[stale]
        _clients[key] = client_factory(service, credentials)
    return _clients[key]


class Clients:
    """Clients created on first use, all with the same assumed-role credentials: `clients["sagemaker"]`."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self._credentials = credentials

    def __getitem__(self, service: str) -> BaseClient:
        return client(service, self._credentials)


def reset() -> None:
    """Forget cached clients (tests; a new endpoint URL or new credentials)."""
    _clients.clear()


def call(api: BaseClient, operation: str, **params: Any) -> dict[str, Any]:
    """`api.<operation>(**params)`, retrying throttling, server errors and unreachable endpoints with backoff.

    Raises `Throttled` or `AwsUnavailable` when the retries run out, `AwsCallFailed` for any other service
    error. Only failures where the request was not processed are retried here: a connection lost after the
    request was sent (read timeout) is raised as `AwsUnavailable` at once, for the caller's idempotent retry.
    """
    from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, HTTPClientError

    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return getattr(api, operation)(**params)
        except ClientError as exc:
            code = error_code(exc)
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in THROTTLING_CODES:
                if attempt == MAX_ATTEMPTS:
                    raise Throttled(f"{operation} still throttled ({code}) after {MAX_ATTEMPTS} attempts") from exc
            elif code in TRANSIENT_CODES or status >= 500:
                if attempt == MAX_ATTEMPTS:
                    raise AwsUnavailable(f"{operation} still failing ({code}) after {MAX_ATTEMPTS} attempts") from exc
            else:
                raise AwsCallFailed(operation, code, str(exc.response.get("Error", {}).get("Message", ""))) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            if attempt == MAX_ATTEMPTS:
                raise AwsUnavailable(f"{operation}: endpoint unreachable after {MAX_ATTEMPTS} attempts: {exc}") from exc
        except HTTPClientError as exc:  # sent, answer lost: the caller's retry must be idempotent
            raise AwsUnavailable(f"{operation}: connection lost: {exc}") from exc
        sleep(min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")  # pragma: no cover


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def assume_role(role_arn: str, session_name: str, credentials: dict[str, str] | None = None) -> dict[str, str]:
    """Temporary credentials of `role_arn`, assumed with the function's role or with `credentials`."""
    session = "".join(c if c.isalnum() or c in "=,.@-_" else "-" for c in session_name)[:64]
    response = call(client("sts", credentials), "assume_role", RoleArn=role_arn, RoleSessionName=session)
    return response["Credentials"]


def setting(name: str) -> str:
    """A required environment setting of the function."""
    value = os.environ.get(name)
    if not value:
        raise SettingsError(f"environment variable {name} is not set")
    return value


def json_setting(name: str) -> Any:
    try:
        return json.loads(setting(name))
    except json.JSONDecodeError as exc:
        raise SettingsError(f"environment variable {name} is not valid JSON: {exc}") from exc
