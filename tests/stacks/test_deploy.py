"""DeployStack and the schedules stacks in the reference app: placement, names, cross-account references."""

from __future__ import annotations

from typing import Any

from sagemaker_platform import naming
from tests.support import resources_of_type


def _role_arns_setting(template: dict[str, Any]) -> Any:
    for function in resources_of_type(template, "AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "DEPLOY_ROLE_ARNS" in variables:
            return variables["DEPLOY_ROLE_ARNS"]
    raise AssertionError("no function with DEPLOY_ROLE_ARNS")


def test_given_the_sandbox_then_deploy_and_the_prod_schedules_are_env_agnostic_stacks(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    assert {"mlplatform-deploy", "mlplatform-schedules-prod"} <= set(default_templates)
    (bus,) = resources_of_type(default_templates["mlplatform-deploy"], "AWS::Events::EventBus").values()
    assert bus["Properties"]["Name"] == naming.platform_events_bus_name("mlplatform")


def test_given_multi_account_then_the_pipeline_assumes_the_staging_and_prod_deploy_roles_by_name(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates["mlplatform-deploy"]
    setting = _role_arns_setting(template)
    rendered = str(setting)
    assert "arn:" in rendered and ":iam::444444444444:role/mlplatform-deploy" in rendered
    assert ":iam::555555555555:role/mlplatform-deploy" in rendered
    rules = [
        rule["Properties"]
        for rule in resources_of_type(template, "AWS::Events::Rule").values()
        if rule["Properties"].get("EventBusName") == naming.model_events_bus_name("mlplatform")
    ]
    assert len(rules) == 2 and all(rule["EventPattern"]["account"] == ["222222222222"] for rule in rules)


def test_given_multi_account_then_gitlab_and_mwaa_targets_are_on_the_approved_rule(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates["mlplatform-deploy"]
    handlers = sorted(
        function["Properties"]["Environment"]["Variables"].get("DEPLOY_TARGET", "-")
        for function in resources_of_type(template, "AWS::Lambda::Function").values()
        if "DEPLOY_HANDLER" in function["Properties"].get("Environment", {}).get("Variables", {})
    )
    assert handlers == ["-", "-", "-", "-", "gitlab", "mwaa", "state-machine"]
