"""Config checks between capabilities: what would synthesize but could not work once deployed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import ConfigError
from tests.support import default_config_raw


def problems_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(raw)
    return "\n".join(raised.value.problems)


def with_churn_mode(mode: str, kind: str) -> dict[str, Any]:
    raw = copy.deepcopy(default_config_raw())
    (entry,) = [e for e in raw["endpoints"] if e["name"] == "churn-async"]
    entry["mode"] = mode
    if mode != "async":
        entry.pop("async", None)
        entry["min_instances"] = 1
    for service in raw["gateway"]["services"]:
        service["kind"] = kind
    return raw


def test_given_an_async_gateway_service_on_a_realtime_endpoint_then_the_config_is_refused() -> None:
    problems = problems_of(with_churn_mode("realtime", "async"))
    assert '`gateway.services[0].kind` = "async"' in problems
    assert "endpoint 'churn-async' has mode 'realtime'; a async service needs an endpoint of mode async" in problems


def test_given_a_realtime_gateway_service_on_an_async_endpoint_then_the_config_is_refused() -> None:
    problems = problems_of(with_churn_mode("async", "realtime"))
    assert "a realtime service needs an endpoint of mode realtime or serverless" in problems


def test_given_a_realtime_gateway_service_on_a_realtime_endpoint_then_the_config_is_accepted() -> None:
    config = parse_config(with_churn_mode("realtime", "realtime"))
    assert config.gateway is not None and config.gateway.services[0].kind == "realtime"


def test_given_tuning_and_a_registry_that_dev_may_not_register_in_then_the_config_is_refused() -> None:
    raw = copy.deepcopy(default_config_raw())
    assert raw["tuning"] and raw["registry"]["register_from"] == ["dev"]
    raw["registry"]["register_from"] = ["staging"]
    problems = problems_of(raw)
    assert '`registry.register_from` = ["staging"]: must include dev when `tuning` is set' in problems
    raw["tuning"] = []
    raw.pop("tuning_launcher", None)
    assert parse_config(raw).registry is not None


def test_given_the_default_config_then_the_tuning_launcher_section_survives_validation() -> None:
    config = parse_config(default_config_raw())
    assert config.tuning_launcher is not None
    assert config.tuning_launcher.instance_type == "ml.m5.large"
