"""The small helpers several capabilities share (`constructs.common`)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from sagemaker_platform.constructs.common import regional_account


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
