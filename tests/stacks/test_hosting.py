"""HostingStack: one per stage, the deployment-spec contract, stable placement, 100 endpoints, config refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api

from sagemaker_platform import naming
from sagemaker_platform.config import parse_config
from sagemaker_platform.config.endpoints import EndpointConfig
from sagemaker_platform.constructs.hosting.settings import AlarmThresholds, AsyncSettings, DeploymentGuardrails
from sagemaker_platform.errors import ConfigError, PropsError
from sagemaker_platform.stacks import build_platform
from sagemaker_platform.stacks.hosting import endpoint_group, endpoint_props
from tests.support import resources_of_type, stack_by_name, templates_of


def hosting_templates(templates: dict[str, dict[str, Any]], stage: str) -> list[dict[str, Any]]:
    # Inside a pipeline stage, nested stack files carry the stage's path as a prefix.
    return [t for name, t in templates.items() if f"mlplatformhosting{stage}" in name.replace("-", "")]


def of_type(templates: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for t in templates for r in resources_of_type(t, resource_type).values()]


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_given_the_default_config_then_each_stage_publishes_the_deployment_spec_of_churn_async(
    default_templates: dict[str, dict[str, Any]], stage: str
) -> None:
    assert f"mlplatform-hosting-{stage}" in default_templates
    templates = hosting_templates(default_templates, stage)
    (parameter,) = of_type(templates, "AWS::SSM::Parameter")
    assert parameter["Name"] == naming.deployment_spec_parameter_name("mlplatform", "churn-async", stage)
    assert parameter["Type"] == "String"
    joined = "".join(p if isinstance(p, str) else "<token>" for p in parameter["Value"]["Fn::Join"][1])
    spec = json.loads(joined)
    assert spec["endpoint_name"] == naming.endpoint_name("mlplatform", "churn-async", stage)
    assert spec["mode"] == "async" and spec["autoscaling"]["min_capacity"] == 0
    (role,) = [r for r in of_type(templates, "AWS::IAM::Role") if "RoleName" in r]
    assert role["RoleName"] == naming.endpoint_role_name("mlplatform", "churn-async", stage)
    assert role["RoleName"].startswith(naming.endpoint_role_name_prefix("mlplatform"))


def test_given_the_default_config_then_no_endpoint_runs_until_the_pipeline_deploys_one(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    templates = [t for name, t in default_templates.items() if "hosting" in name]
    assert of_type(templates, "AWS::SageMaker::Endpoint") == []  # zero idle cost in the sandbox
    assert len(of_type(templates, "AWS::CloudWatch::Dashboard")) == 2


def test_given_the_multi_account_example_then_pinned_packages_are_deployed_in_both_stages(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    for stage in ("staging", "prod"):
        templates = hosting_templates(multi_account_templates, stage)
        names = sorted(e["EndpointName"] for e in of_type(templates, "AWS::SageMaker::Endpoint"))
        assert names == [
            naming.endpoint_name("mlplatform", n, stage)
            for n in ("churn-custom", "faq-serverless", "fraud-realtime", "recs-mme")
        ]
        assert len(of_type(templates, "AWS::SSM::Parameter")) == 6  # one deployment spec per endpoint


def test_given_the_multi_account_example_then_each_stage_stack_is_pinned_to_its_account(
    multi_account_assembly: cx_api.CloudAssembly,
) -> None:
    staging = stack_by_name(multi_account_assembly, "mlplatform-hosting-staging").environment
    prod = stack_by_name(multi_account_assembly, "mlplatform-hosting-prod").environment
    assert (staging.account, staging.region) == ("444444444444", "eu-west-1")
    assert (prod.account, prod.region) == ("555555555555", "eu-west-1")


def test_endpoint_placement_depends_on_the_name_only() -> None:
    # Pinned: changing the hash or the group count would move (delete and re-create) every endpoint.
    assert [endpoint_group(n) for n in ("churn-async", "fraud-realtime", "recs-mme", "faq-serverless")] == [14, 2, 1, 4]


def test_given_async_deployment_and_alarm_keys_then_the_endpoint_settings_carry_each_value() -> None:
    # The config sections and the settings dataclasses share field names; endpoint_props maps one onto the other.
    config = parse_config(
        {
            "endpoints": [
                {
                    "name": "churn-async",
                    "mode": "async",
                    "model_package_group": "churn",
                    "instance_type": "ml.g5.xlarge",
                    "async": {
                        "max_concurrent_invocations_per_instance": 3,
                        "invocation_timeout_seconds": 1200,
                        "backlog_per_instance_target": 2.5,
                    },
                    "deployment": {
                        "traffic_routing": "LINEAR",
                        "step_percent": 20,
                        "wait_seconds": 300,
                        "termination_wait_seconds": 120,
                    },
                    "alarms": {
                        "latency_p99_ms": 2000,
                        "errors_5xx": 7,
                        "gpu_memory_percent": 80.0,
                        "backlog_age_seconds": 900,
                    },
                }
            ]
        }
    )
    (entry,) = config.endpoints
    _, settings = endpoint_props(entry)
    assert settings.async_inference == AsyncSettings(
        max_concurrent_invocations_per_instance=3, invocation_timeout_seconds=1200, backlog_per_instance_target=2.5
    )
    assert settings.deployment == DeploymentGuardrails(
        traffic_routing="LINEAR", step_percent=20, wait_seconds=300, termination_wait_seconds=120
    )
    assert settings.alarms == AlarmThresholds(
        latency_p99_ms=2000, errors_5xx=7, gpu_memory_percent=80.0, backlog_age_seconds=900
    )


def scale_config(count: int) -> dict[str, Any]:
    modes = [
        {
            "mode": "async",
            "model_package_group": "churn",
            "instance_type": "ml.g5.xlarge",
            "min_instances": 0,
            "max_instances": 4,
        },
        {
            "mode": "realtime",
            "model_package_arn": "arn:aws:sagemaker:us-east-1:222222222222:model-package/fraud/7",
            "instance_type": "ml.g5.2xlarge",
            "max_instances": 4,
            "max_rps_per_instance": 10,
            "gpu_utilization_target": 70,
            "data_capture_percent": 10,
            "deployment": {"traffic_routing": "CANARY"},
        },
        {
            "mode": "serverless",
            "image": {"repository": "pytorch-inference", "tag": "2.6.0-cpu-py312-ubuntu22.04-sagemaker"},
            "model_data_url": "s3://models-bucket/faq/model.tar.gz",
        },
    ]
    return {"endpoints": [{"name": f"model-{i:03d}", **modes[i % len(modes)]} for i in range(count)]}


@pytest.mark.slow
def test_given_100_endpoints_then_no_template_exceeds_cloudformation_limits(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    build_platform(app, parse_config(scale_config(100)), account="staging")
    templates = templates_of(app.synth())
    parameters = [p for t in templates.values() for p in resources_of_type(t, "AWS::SSM::Parameter").values()]
    assert len(parameters) == 100
    for name, template in templates.items():
        assert len(template["Resources"]) <= 500, name
        assert len(json.dumps(template, separators=(",", ":"))) < 1_000_000, name


# --- config refusals ------------------------------------------------------------------------------


def config_error(entry: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config({"endpoints": [{"name": "e", "instance_type": "ml.g5.xlarge", **entry}]})
    return str(caught.value)


def test_given_two_model_sources_then_refused() -> None:
    message = config_error({"model_package_group": "g", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t"})
    assert '`endpoints[0].model` = ["image", "model_package_group"]: give exactly one of' in message


def test_given_a_platform_image_without_the_config_then_endpoint_props_refuses_it_even_under_python_O() -> None:
    # An explicit check, not an assert: the reference app runs with `python -O`, which drops asserts.
    entry = EndpointConfig.model_validate(
        {"name": "e", "instance_type": "ml.g5.xlarge", "image": {"platform_repository": "churn-serving", "tag": "1"}}
    )
    with pytest.raises(PropsError, match=r"endpoints\[e\]: an image in a platform repository needs `config`"):
        endpoint_props(entry)


def test_given_no_model_source_then_refused() -> None:
    assert "`endpoints[0].model` = []: give exactly one of" in config_error({})


def test_given_model_data_without_an_image_then_refused() -> None:
    message = config_error({"model_package_group": "g", "model_data_url": "s3://bkt/m.tar.gz"})
    assert '`endpoints[0].model_data_url` = "s3://bkt/m.tar.gz": allowed only together with image' in message


def test_given_async_settings_on_a_realtime_entry_then_refused() -> None:
    message = config_error({"model_package_group": "g", "async": {"invocation_timeout_seconds": 60}})
    assert '`endpoints[0].async` = "realtime": async settings are allowed only with mode: async' in message


def test_given_an_invocation_timeout_above_an_hour_in_config_then_refused() -> None:
    message = config_error({"mode": "async", "model_package_group": "g", "async": {"invocation_timeout_seconds": 4000}})
    assert "`endpoints[0].async.invocation_timeout_seconds` = 4000" in message


def test_given_min_above_max_in_config_then_refused() -> None:
    message = config_error({"model_package_group": "g", "min_instances": 3, "max_instances": 2})
    assert "`endpoints[0].min_instances` = 3: must be <= max_instances (2)" in message


def test_given_a_non_serverless_entry_without_instance_type_then_refused() -> None:
    with pytest.raises(ConfigError, match=r"`endpoints\[0\].instance_type` = null: required for mode: async"):
        parse_config({"endpoints": [{"name": "e", "mode": "async", "model_package_group": "g"}]})


def test_given_a_long_endpoint_name_then_refused() -> None:
    with pytest.raises(ConfigError, match="must be 1-24 lowercase letters"):
        parse_config({"endpoints": [{"name": "a" * 25, "model_package_group": "g", "instance_type": "ml.m5.large"}]})


def test_given_duplicate_endpoint_names_then_refused() -> None:
    entry = {"name": "e", "model_package_group": "g", "instance_type": "ml.m5.large"}
    with pytest.raises(ConfigError, match=r"duplicate endpoint name\(s\) \['e'\]"):
        parse_config({"endpoints": [entry, entry]})


def test_given_a_catalog_refusal_from_config_then_synth_stops_with_the_endpoint_named(tmp_path: Path) -> None:
    from sagemaker_platform.errors import PropsError

    config = parse_config(
        {
            "endpoints": [
                {"name": "e", "mode": "serverless", "instance_type": "ml.g5.xlarge", "model_package_group": "g"}
            ]
        }
    )
    with pytest.raises(PropsError, match=r"(?s)Endpoint mlplatform-e-staging: invalid props:.*refuse GPUs"):
        build_platform(cdk.App(outdir=str(tmp_path)), config, account="staging")
