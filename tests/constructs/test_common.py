"""The small helpers several capabilities share (`constructs.common`)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from sagemaker_platform.constructs.common import regional_account, rotated_key


def test_given_two_lookups_in_one_scope_then_they_share_one_mapping_resolved_at_deploy() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Stack")
    accounts = {"us-east-1": "111111111111", "eu-west-1": "222222222222"}

    first = regional_account(stack, "Registries", accounts)
    second = regional_account(stack, "Registries", {"ignored": "333333333333"})

    template = app.synth().get_stack_by_name("Stack").template
    assert template["Mappings"] == {
        "Registries": {"us-east-1": {"account": "111111111111"}, "eu-west-1": {"account": "222222222222"}}
    }
    assert stack.resolve(first) == stack.resolve(second)
    assert stack.resolve(first) == {"Fn::FindInMap": ["Registries", {"Ref": "AWS::Region"}, "account"]}


def test_given_a_region_then_the_lookup_reads_that_region_s_row() -> None:
    stack = cdk.Stack(cdk.App(), "Stack", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    account = regional_account(stack, "Registries", {"eu-west-1": "222222222222"}, stack.region)
    assert stack.resolve(account) == {"Fn::FindInMap": ["Registries", "eu-west-1", "account"]}


def test_given_the_mapping_id_taken_by_another_construct_then_the_lookup_refuses() -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    cdk.CfnOutput(stack, "Registries", value="x")
    with pytest.raises(TypeError, match="Stack/Registries is a CfnOutput, not a CfnMapping"):
        regional_account(stack, "Registries", {"eu-west-1": "222222222222"})


@pytest.mark.parametrize("usable_by_logs", [True, False])
def test_given_a_rotated_key_then_it_limits_grants_and_admits_logs_only_when_asked(usable_by_logs: bool) -> None:
    stack = cdk.Stack(cdk.App(), "Keys")
    key = rotated_key(stack, "test key", cdk.RemovalPolicy.RETAIN, usable_by_logs=usable_by_logs)
    cfn_key = key.node.default_child
    assert isinstance(cfn_key, kms.CfnKey)
    statements = stack.resolve(cfn_key.key_policy)["Statement"]
    sids = [statement.get("Sid") for statement in statements]
    assert "DenyGrantsNotForAwsResources" in sids
    logs = [s for s in statements if "kms:EncryptionContext:aws:logs:arn" in str(s.get("Condition"))]
    assert len(logs) == (1 if usable_by_logs else 0)
