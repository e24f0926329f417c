"""Deploy handler tests: the handler package on sys.path, a moto_server on 127.0.0.1, the pipeline's resources."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from sagemaker_platform import naming
from sagemaker_platform.assets import handler_dir

# The handlers import their own package (`deployer`) as the Lambda runtime does: from the asset root.
sys.path.insert(0, str(handler_dir("deploy_handlers")))

from deployer import aws, settings

from tests.deploy_support import (
    ACCOUNT,
    GROUPS,
    PLATFORM,
    REGION,
    STATE_MACHINE_ARN,
    TOPIC_ARN,
    credentials,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto_server on a free port of 127.0.0.1 for the session, stopped afterwards."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(autouse=True)
def handler_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Credentials that reach nothing real, the settings the construct renders, no backoff delay, fresh clients."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "DEPLOY_GROUPS": json.dumps(GROUPS),
        "DEPLOYMENTS_TABLE": "deployments",
        "EVENT_BUS_NAME": naming.platform_events_bus_name(PLATFORM),
        "EVENT_SOURCE": f"{PLATFORM}.deploy",
        "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
        "DEPLOY_TARGET": "state-machine",
        "TRIGGER_TARGETS": "",
        "REGISTRY_ACCOUNT": ACCOUNT,
        "PIPELINE_ROLE_ARN": naming.role_arn("aws", ACCOUNT, naming.deploy_pipeline_role_name(PLATFORM)),
        "DEPLOY_ROLE_ARNS": json.dumps(
            {stage: naming.role_arn("aws", ACCOUNT, naming.deploy_role_name(PLATFORM)) for stage in naming.STAGES}
        ),
        "SPEC_PARAMETER_TEMPLATE": naming.deployment_spec_parameter_name(PLATFORM, "{endpoint}", "{stage}"),  # type: ignore[arg-type]
        "MAX_POLLS": "5",
        "TOPIC_ARN": TOPIC_ARN,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(aws, "sleep", lambda seconds: None)
    aws.reset()
    settings.groups.cache_clear()
    yield
    aws.reset()
    settings.groups.cache_clear()


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Stubber]]:
    """`stub(service, access_key=None)`: the active Stubber of the client the handlers will get for that service
    and credentials (None: the function's own role). Every queued response must be used."""
    stubbers: dict[tuple[str, str | None], Stubber] = {}

    def factory(service: str, credentials: dict[str, str] | None = None) -> Any:
        client = boto3.client(service, region_name=REGION)
        stubbers[(service, None if credentials is None else credentials["AccessKeyId"])] = Stubber(client)
        return client

    def get(service: str, access_key: str | None = None) -> Stubber:
        aws.client(service, None if access_key is None else credentials(access_key))
        stubber = stubbers[(service, access_key)]
        stubber.activate()
        return stubber

    monkeypatch.setattr(aws, "client_factory", factory)
    yield get
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
