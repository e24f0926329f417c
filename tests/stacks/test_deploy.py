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


def test_given_multi_account_then_the_deploy_pipeline_role_is_its_own_stack_trusting_the_named_endpoint_step(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    """The role lives in `<name>-deploy-identity`, deployed before the deploy roles that trust it (and before the
    endpoint step's role exists, so it trusts that role by `aws:PrincipalArn`, not as a principal)."""
    identity = multi_account_templates["mlplatform-deploy-identity"]
    (role,) = resources_of_type(identity, "AWS::IAM::Role").values()
    assert role["Properties"]["RoleName"] == naming.deploy_pipeline_role_name("mlplatform")
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"]["AWS"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::111111111111:root"]]
    }
    assert statement["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":iam::111111111111:role/mlplatform-deploy-endpoint-step"],
                ]
            }
        }
    }
    (policy,) = resources_of_type(identity, "AWS::IAM::ManagedPolicy").values()
    (assume,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert assume["Action"] == "sts:AssumeRole"
    assert [arn["Fn::Join"][1][-1] for arn in assume["Resource"]] == [
        ":iam::444444444444:role/mlplatform-deploy",
        ":iam::555555555555:role/mlplatform-deploy",
    ]
    deploy = multi_account_templates["mlplatform-deploy"]
    names = {role["Properties"].get("RoleName") for role in resources_of_type(deploy, "AWS::IAM::Role").values()}
    assert naming.deploy_pipeline_role_name("mlplatform") not in names
    assert naming.deploy_endpoint_step_role_name("mlplatform") in names
