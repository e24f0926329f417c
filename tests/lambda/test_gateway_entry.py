"""The Lambda entry point: `GATEWAY_FUNCTION` picks the handler; the package imports as it will in the zip."""

from __future__ import annotations

import importlib.util
import json

import pytest

from sagemaker_platform.assets import handler_dir

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
