"""The deployment spec published by the hosting stacks: validation naming the field, and the requests built from it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.deploy_support import ENDPOINT, EVENTS, deployment_spec

from deployer.errors import SpecError  # isort: skip
from deployer.spec import (  # isort: skip
    alarm_requests,
    endpoint_config_request,
    kept_count,
    model_request,
    parse_spec,
    policy_requests,
    resource_name,
)


def _spec(**overrides: Any) -> str:
    return json.dumps(deployment_spec(ENDPOINT, "staging", **overrides))


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "(parameter value)"),
        (json.dumps([1]), "(parameter value)"),
        (_spec(version=2), "version"),
        (_spec(mode="batch"), "mode"),
        (_spec(variants=[]), "variants"),
        (_spec(variants=[{"VariantName": "A", "InitialInstanceCount": 1}]), "variants[0].InstanceType"),
        (
            _spec(variants=[{"VariantName": "A", "InstanceType": "x", "InitialInstanceCount": "1"}]),
            "variants[0].InitialInstanceCount",
        ),
        (_spec(mode="async"), "async_inference_config"),
        (_spec(mode="serverless"), "variants[0].ServerlessConfig"),
        (_spec(execution_role_arn=None), "execution_role_arn"),
        (
            _spec(autoscaling={"variant": "Other", "min_capacity": 0, "max_capacity": 1, "policies": []}),
            "autoscaling.variant",
        ),
        (
            _spec(autoscaling={"variant": "AllTraffic", "min_capacity": 3, "max_capacity": 1, "policies": []}),
            "autoscaling.min_capacity",
        ),
    ],
)
def test_given_a_malformed_spec_then_the_error_names_the_field(text: str, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    assert caught.value.field == field


def test_given_a_spec_then_the_model_comes_from_the_package_and_the_config_keeps_only_given_keys() -> None:
    spec = parse_spec(_spec(vpc_config={"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}))
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"

    model = model_request(spec, "m", arn)
    config = endpoint_config_request(spec, "c", "m", kept_counts={})

    assert model["PrimaryContainer"] == {"ModelPackageName": arn} and model["VpcConfig"]["Subnets"] == ["subnet-1"]
    assert config == {
        "EndpointConfigName": "c",
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "InstanceType": "ml.g4dn.xlarge", "InitialInstanceCount": 1, "ModelName": "m"}
        ],
    }


def test_given_an_async_scaled_to_zero_then_the_new_config_starts_one_instance() -> None:
    spec = parse_spec(_spec())
    assert kept_count(spec, 0) == 1
    assert kept_count(spec, 9) == 4  # never above max_capacity
    assert kept_count(spec, 3) == 3


def test_given_generated_names_then_they_fit_sagemaker_and_are_stable_per_execution_and_stage() -> None:
    name = resource_name("x" * 70, 12, "churn-v12-1", "prod")
    assert len(name) <= 63 and re.fullmatch(r"x+-v12-[0-9a-f]{8}", name)
    assert name == resource_name("x" * 70, 12, "churn-v12-1", "prod")
    assert name != resource_name("x" * 70, 12, "churn-v12-1", "staging")


def test_given_step_alarms_then_the_policy_arn_is_filled_in_and_an_ambiguous_alarm_is_refused() -> None:
    autoscaling = {
        "variant": "AllTraffic",
        "min_capacity": 0,
        "max_capacity": 2,
        "policies": [],
        "alarms": [{"AlarmName": "backlog", "AlarmActions": ["scale-out"]}, {"AlarmName": "idle"}],
    }
    spec = parse_spec(_spec(autoscaling=autoscaling))

    with pytest.raises(SpecError) as caught:
        alarm_requests(spec, {"scale-out": "arn:out", "scale-in": "arn:in"})
    assert caught.value.field == "autoscaling.alarms[1].AlarmActions"
    single = parse_spec(_spec(autoscaling=autoscaling | {"alarms": [{"AlarmName": "idle"}]}))
    assert alarm_requests(single, {"scale-in": "arn:in"}) == [{"AlarmName": "idle", "AlarmActions": ["arn:in"]}]


@pytest.mark.parametrize("mode", ["realtime", "async", "multi-model", "serverless"])
def test_given_a_spec_as_the_hosting_stack_publishes_it_then_every_request_builds(mode: str) -> None:
    """Specs rendered by the GPU endpoint hosting constructs (tests/events/hosting_deployment_specs.json)."""
    published = json.loads((EVENTS / "hosting_deployment_specs.json").read_text())[mode]
    spec = parse_spec(json.dumps(published))
    step_policies = {
        policy["PolicyName"]: f"arn:policy/{policy['PolicyName']}"
        for policy in policy_requests(spec)
        if policy["PolicyType"] == "StepScaling"
    }

    config = endpoint_config_request(spec, "config", "model", kept_counts={})
    alarms = alarm_requests(spec, step_policies)

    assert spec.mode == mode and config["ProductionVariants"][0]["ModelName"] == "model"
    assert ("AsyncInferenceConfig" in config) == (mode == "async")
    assert all(alarm["AlarmActions"] == list(step_policies.values()) for alarm in alarms)
