"""Triggers after deployment and in a VPC: the journey from the pipeline's Deployment Succeeded event through the
DeployedRule (pattern, input transformer) to the trigger handler's own event validation; the GitLab trigger's
network placement. Over the multi-account example's deploy stack."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import parse_config
from sagemaker_platform.constructs.deploy import DEPLOYMENT_SUCCEEDED
from sagemaker_platform.errors import ConfigError
from sagemaker_platform.stacks.deploy import DeployStack
from tests.support import resources_of_type
from tests.wiring_helpers import allows, as_list

from deployer import notify, start  # isort: skip
from deployer.events import parse_package_event  # isort: skip

REGISTRY, TOOLING, REGION = "222222222222", "111111111111", "eu-west-1"
ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/churn/7"


@pytest.fixture(scope="module")
def deploy_template(multi_account_raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(multi_account_raw)
    raw.pop("pipeline")
    config = parse_config(raw)
    app = cdk.App()
    DeployStack(app, "Deploy", config=config, env=cdk.Environment(account=TOOLING, region=REGION))
    add_compliance_gate(app)
    return app.synth().get_stack_by_name("Deploy").template


def rule(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    (found,) = [r for lid, r in resources_of_type(template, "AWS::Events::Rule").items() if lid.startswith(prefix)]
    return found["Properties"]


def target_ids(rule_props: dict[str, Any]) -> set[str]:
    return {t["Arn"]["Fn::GetAtt"][0] for t in rule_props["Targets"]}


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge matching for the exact-value patterns the platform writes."""
    for key, wanted in pattern.items():
        if isinstance(wanted, dict):
            if not isinstance(event.get(key), dict) or not matches(wanted, event[key]):
                return False
        elif event.get(key) not in wanted:
            return False
    return True


def transform(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """Apply an InputTransformer as EventBridge does (JSON paths of the form $.a.b; values JSON-encoded)."""
    transformer = target["InputTransformer"]
    values = {}
    for name, path in transformer["InputPathsMap"].items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        values[name] = json.dumps(value)
    return json.loads(re.sub(r"<([\w-]+)>", lambda m: values[m.group(1)], transformer["InputTemplate"]))


def deployment_succeeded(kind: str = "deploy", group: str = "churn") -> dict[str, Any]:
    """The event `record.succeeded` puts on the platform bus once prod is deployed (same detail builder)."""
    payload = {
        "kind": kind,
        "model_package_arn": ARN.replace("/churn/", f"/{group}/"),
        "model_package_group": group,
        "version": 7,
        "execution_name": "churn-7-1",
        "rolled_back_from": None,
        "endpoints": [{"endpoint": "churn-realtime"}],
    }
    return {
        "source": "mlplatform.deploy",
        "detail-type": notify.SUCCEEDED,
        "account": TOOLING,
        "time": "2026-12-06T03:00:00Z",
        "detail": start.event_detail(payload) | {"status": "DEPLOYED"},
    }


def test_the_construct_listens_for_the_detail_type_the_handlers_emit() -> None:
    assert DEPLOYMENT_SUCCEEDED == notify.SUCCEEDED


def test_a_trigger_set_to_deployed_fires_on_the_deployment_not_on_approval(deploy_template: dict[str, Any]) -> None:
    deployed, approved = rule(deploy_template, "PipelineDeployedRule"), rule(deploy_template, "PipelineApprovedRule")
    mwaa = [lid for lid in deploy_template["Resources"] if lid.startswith("PipelineMwaaTriggerFunction")]
    gitlab = [lid for lid in deploy_template["Resources"] if lid.startswith("PipelineGitLabTriggerFunction")]
    assert target_ids(deployed) == set(mwaa)
    assert not target_ids(approved) & set(mwaa)
    assert set(gitlab) <= target_ids(approved)  # the GitLab trigger keeps the default: on approval


def test_the_deployed_event_reaches_the_trigger_as_an_approved_package_event_it_accepts(
    deploy_template: dict[str, Any],
) -> None:
    deployed = rule(deploy_template, "PipelineDeployedRule")
    event = deployment_succeeded()
    # hop 1: the rule matches the pipeline's event on the platform bus
    assert matches(deployed["EventPattern"], event)
    # hop 2: the target's input transformer reshapes it
    (target,) = deployed["Targets"]
    delivered = transform(target, event)
    # hop 3: the trigger handler's own validation accepts it, for the deployed version
    package = parse_package_event(
        delivered,
        expected_status="Approved",
        groups={"churn": None},
        region=REGION,
        registry_account=REGISTRY,  # type: ignore[dict-item]
    )
    assert (package.model_package_arn, package.group, package.version) == (ARN, "churn", 7)
    assert package.time == "2026-12-06T03:00:00Z"


@pytest.mark.parametrize(
    "event",
    [
        deployment_succeeded(kind="rollback"),
        deployment_succeeded(group="fraud-detection"),
        {**deployment_succeeded(), "detail-type": notify.FAILED},
        {**deployment_succeeded(), "source": "other.deploy"},
    ],
)
def test_rollbacks_failures_other_groups_and_other_sources_fire_nothing(
    deploy_template: dict[str, Any], event: dict[str, Any]
) -> None:
    assert not matches(rule(deploy_template, "PipelineDeployedRule")["EventPattern"], event)


def test_the_gitlab_trigger_runs_in_the_configured_vpc_with_network_interface_rights_scoped_to_it(
    deploy_template: dict[str, Any],
) -> None:
    (function_id,) = [lid for lid in deploy_template["Resources"] if lid.startswith("PipelineGitLabTriggerFunction")]
    function = deploy_template["Resources"][function_id]
    assert function["Properties"]["VpcConfig"] == {
        "SubnetIds": ["subnet-0a1b2c3d4e5f60718"],
        "SecurityGroupIds": ["sg-0a1b2c3d4e5f60718"],
    }
    assert "checkov" not in function.get("Metadata", {})  # no 'not in a VPC' skip left behind
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for policy in resources_of_type(deploy_template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in policy["Properties"].get("Roles", [])
        for s in as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    subnet = f"arn:<AWS::Partition>:ec2:{REGION}:{TOOLING}:subnet/subnet-0a1b2c3d4e5f60718"
    assert allows(statements, "ec2:CreateNetworkInterface", subnet)
    assert not allows(statements, "ec2:CreateNetworkInterface", subnet.replace("0a1b2c3d4e5f60718", "0000000000000000"))
    # Lambda checks these rights when it creates the function: the function waits for the policies holding them.
    policies = {d for d in function["DependsOn"] if "Policy" in d}
    holders = {
        lid
        for lid, policy in resources_of_type(deploy_template, "AWS::IAM::ManagedPolicy").items()
        if "ec2:CreateNetworkInterface" in json.dumps(policy["Properties"]["PolicyDocument"])
        and {"Ref": role_id} in policy["Properties"].get("Roles", [])
    }
    assert holders and holders <= policies


def test_given_fire_on_deployed_without_the_state_machine_then_one_error_names_the_key(
    multi_account_raw: dict[str, Any],
) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["deploy"]["state_machine"] = False
    with pytest.raises(ConfigError, match=r"`deploy.mwaa.fire_on` = \"deployed\": needs state_machine: true"):
        parse_config(raw)
