"""The thin AWS layer: lazily created boto3 clients (fast cold start), swappable in tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config

from inference_gateway.records import RecordStore
from inference_gateway.settings import Settings

_CLIENT_CONFIG = {
    # Presigned URLs must be SigV4 on the regional virtual-hosted endpoint (KMS-encrypted objects need SigV4).
    "s3": Config(signature_version="s3v4", s3={"addressing_style": "virtual"}, retries={"mode": "standard"}),
}


class Runtime:
    """Settings, clients and the record store of one function instance."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: boto3.session.Session | None = None,
        clients: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self._session = session
        self._clients: dict[str, Any] = dict(clients or {})
        self._records: RecordStore | None = None
        self._secrets: dict[str, str] = {}

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Runtime:
        return cls(Settings.from_environment(env))

    def client(self, service: str) -> Any:
        if service not in self._clients:
            session = self._session if self._session is not None else boto3.session.Session()
            config = _CLIENT_CONFIG.get(service, Config(retries={"mode": "standard"}))
            self._clients[service] = session.client(service, config=config)  # type: ignore[call-overload]
        return self._clients[service]

    @property
    def records(self) -> RecordStore:
        if self._records is None:
            session = self._session if self._session is not None else boto3.session.Session()
            table = session.resource("dynamodb").Table(self.settings.table_name)
            self._records = RecordStore(table, self.clock)
        return self._records

    def now(self) -> int:
        return int(self.clock())

    def secret(self, arn: str) -> str:
        """A Secrets Manager secret string, fetched once per function instance."""
        if arn not in self._secrets:
            self._secrets[arn] = self.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        return self._secrets[arn]
