"""The Lambda entry point: `GATEWAY_FUNCTION` picks the handler; the package imports as it will in the zip."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from sagemaker_platform.assets import handler_dir, stage_handler

ENVIRONMENT = {
    "GATEWAY_FUNCTION": "api",
    "TABLE_NAME": "predictions",
    "INPUT_BUCKET": "in",
    "OUTPUT_BUCKET": "out",
    "SERVICE_NAMES": '["churn"]',
    "SERVICES": '{"churn": {"kind": "async", "target": "mlplatform-churn-async-prod"}}',
    "AWS_DEFAULT_REGION": "us-east-1",
}


def test_given_the_api_function_environment_then_index_routes_to_the_api_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(handler_dir("gateway_handlers")))
    # Loaded under a name of its own: other handler folders have an `index` module too.
    spec = importlib.util.spec_from_file_location(
        "gateway_handlers_index", handler_dir("gateway_handlers") / "index.py"
    )
    assert spec is not None and spec.loader is not None
    index = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(index)
    # Invalid before any AWS call: the body names an unknown service.
    event = {
        "httpMethod": "POST",
        "resource": "/predictions",
        "body": '{"service": "nope"}',
        "requestContext": {"identity": {"userArn": "arn:aws:iam::123456789012:user/a"}},
    }
    response = index.handler(event, None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["problems"] == ["service 'nope': must be one of churn"]
    settings = index._runtime.settings
    assert settings.services["churn"].target == "mlplatform-churn-async-prod"
    assert settings.webhook_schemes == ("https",)


@pytest.mark.parametrize(
    ("function", "unused"),
    [
        ("api", {"inference_gateway.invoke", "inference_gateway.notify", "inference_gateway.step"}),
        ("invoke", {"inference_gateway.api", "inference_gateway.notify", "inference_gateway.webhook"}),
        ("step", {"inference_gateway.api", "inference_gateway.notify", "inference_gateway.webhook"}),
    ],
)
def test_given_a_function_then_a_cold_start_imports_only_its_entry_point(function: str, unused: set[str]) -> None:
    # Cold-start budget: the asset ships as source, so every module imported is compiled on each cold start.
    # Run in the staged asset (handler folder + contracts), as Lambda runs it.
    code = "import sys, index; print(' '.join(sorted(sys.modules)))"
    environment = {**os.environ, **ENVIRONMENT, "GATEWAY_FUNCTION": function, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=stage_handler(handler_dir("gateway_handlers")),
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(result.stdout.split())
    assert f"inference_gateway.{function}" in modules
    assert not unused & modules
    assert "aws_cdk" not in modules
