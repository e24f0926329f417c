"""PlatformFunction and PlatformRole: compliant Lambda functions and roles without inline policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from sagemaker_platform.assets import handler_dir
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PlatformError
from tests.support import CANARY_HANDLER, function_stack, resources_of_type


@pytest.fixture(scope="module")
def function_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app, stack, key = function_stack(tmp_path_factory.mktemp("fn"), "Fn")
    fn = PlatformFunction(stack, "Canary", handler_name=CANARY_HANDLER, key=key, description="canary")
    fn.role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[fn.dead_letter_queue.queue_arn])
    )
    add_compliance_gate(app)  # the function passes the gate with no acknowledgment from the caller
    return app.synth().get_stack_by_name("Fn").template


def test_given_a_platform_function_then_its_role_has_no_inline_and_no_aws_managed_policy(
    function_template: dict[str, Any],
) -> None:
    assert resources_of_type(function_template, "AWS::IAM::Policy") == {}
    (role,) = resources_of_type(function_template, "AWS::IAM::Role").values()
    policies = resources_of_type(function_template, "AWS::IAM::ManagedPolicy")
    # The role's own policy, and the stack's one X-Ray write policy (the only Resource "*" the functions share).
    assert len(policies) == 2
    (xray,) = [logical_id for logical_id in policies if logical_id.startswith("XRayWritePolicy")]
    assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": xray}]
    assert policies[xray]["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Effect": "Allow", "Resource": "*"}
    ]
    own = [policy for logical_id, policy in policies.items() if logical_id != xray]
    assert all(s["Resource"] != "*" for p in own for s in p["Properties"]["PolicyDocument"]["Statement"])


def test_given_a_platform_function_then_logs_env_and_dlq_are_kms_encrypted(function_template: dict[str, Any]) -> None:
    (fn,) = resources_of_type(function_template, "AWS::Lambda::Function").values()
    props = fn["Properties"]
    assert props["Runtime"] == "python3.14"
    assert "KmsKeyArn" in props and "DeadLetterConfig" in props
    assert props["ReservedConcurrentExecutions"] == 10
    assert props["TracingConfig"] == {"Mode": "Active"}
    (log_group,) = resources_of_type(function_template, "AWS::Logs::LogGroup").values()
    assert "KmsKeyId" in log_group["Properties"] and log_group["Properties"]["RetentionInDays"] == 365
    (queue,) = resources_of_type(function_template, "AWS::SQS::Queue").values()
    assert "KmsMasterKeyId" in queue["Properties"]


def test_given_many_grants_then_platform_role_spreads_them_over_managed_policies() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Roles")
    role = PlatformRole(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for index in range(25):
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:aws:s3:::bucket-{index}/*"]))
    template = app.synth().get_stack_by_name("Roles").template
    policies = resources_of_type(template, "AWS::IAM::ManagedPolicy")
    assert len(policies) == 3
    assert sum(len(p["Properties"]["PolicyDocument"]["Statement"]) for p in policies.values()) == 25


def test_given_an_unknown_handler_then_platform_error_lists_the_available_ones() -> None:
    with pytest.raises(PlatformError, match="no Lambda handler folder 'nope'"):
        handler_dir("nope")


def test_handler_folders_are_inside_the_package() -> None:
    package = Path(__file__).resolve().parents[2] / "sagemaker_platform"
    assert handler_dir("studio_teardown") == package / "lambda" / "studio_teardown"


@pytest.mark.parametrize(("subnets", "groups"), [(["subnet-1"], []), ([], ["sg-1"])])
def test_given_subnets_without_security_groups_or_the_reverse_then_the_function_is_refused(
    subnets: list[str], groups: list[str]
) -> None:
    stack = cdk.Stack(cdk.App(), "Fn")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    with pytest.raises(PlatformError, match=r"vpc_subnet_ids=.*security_group_ids=.*give both"):
        PlatformFunction(
            stack,
            "Canary",
            handler_name=CANARY_HANDLER,
            key=key,
            description="canary",
            vpc_subnet_ids=subnets,
            security_group_ids=groups,
        )
