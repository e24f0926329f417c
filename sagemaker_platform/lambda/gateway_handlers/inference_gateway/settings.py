"""The handlers' settings, read once from the function's environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ServiceKind = Literal["async", "realtime", "ensemble"]


@dataclass(frozen=True)
class Service:
    """What a service name resolves to: an endpoint (async or real-time) or an ensemble state machine."""

    kind: ServiceKind
    target: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class Settings:
    table_name: str
    input_bucket: str
    output_bucket: str
    completion_topic_arn: str = ""
    service_names: tuple[str, ...] = ()
    services: Mapping[str, Service] = field(default_factory=dict)
    input_timeout_seconds: int = 900
    retention_seconds: int = 30 * 86400
    url_expiry_seconds: int = 900
    webhook_secret_arn: str = ""
    webhook_attempts: int = 4
    webhook_backoff_seconds: float = 1.0
    webhook_timeout_seconds: float = 5.0
    webhook_schemes: tuple[str, ...] = ("https",)
    client_topic_arn_prefix: str = ""

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        services = {
            name: Service(
                kind=spec["kind"], target=spec["target"], content_type=spec.get("content_type", "application/json")
            )
            for name, spec in json.loads(env.get("SERVICES", "{}")).items()
        }
        names = tuple(json.loads(env["SERVICE_NAMES"])) if "SERVICE_NAMES" in env else tuple(services)
        return cls(
            table_name=env["TABLE_NAME"],
            input_bucket=env["INPUT_BUCKET"],
            output_bucket=env["OUTPUT_BUCKET"],
            completion_topic_arn=env.get("COMPLETION_TOPIC_ARN", ""),
            service_names=names,
            services=services,
            input_timeout_seconds=int(env.get("INPUT_TIMEOUT_SECONDS", "900")),
            retention_seconds=int(env.get("RETENTION_SECONDS", str(30 * 86400))),
            url_expiry_seconds=int(env.get("URL_EXPIRY_SECONDS", "900")),
            webhook_secret_arn=env.get("WEBHOOK_SECRET_ARN", ""),
            webhook_attempts=int(env.get("WEBHOOK_ATTEMPTS", "4")),
            webhook_backoff_seconds=float(env.get("WEBHOOK_BACKOFF_SECONDS", "1")),
            client_topic_arn_prefix=env.get("CLIENT_TOPIC_ARN_PREFIX", ""),
        )
