"""`FunctionPlacement` with an existing VPC's ids, and `StudioDomain(functions_in_vpc=True)` props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.function_network import FunctionPlacement
from sagemaker_platform.constructs.studio import StudioDomain
from sagemaker_platform.errors import PropsError
from tests.support import CANARY_HANDLER, function_stack, resources_of_type

SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
GROUPS = ["sg-0123456789abcdef0"]


@pytest.fixture(scope="module")
def placed_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """GIVEN a stack with a placement of existing ids and two functions under it, WHEN synthesized with the gate."""
    app, stack, key = function_stack(tmp_path_factory.mktemp("placed"), "Placed")
    FunctionPlacement(stack, subnet_ids=SUBNETS, security_group_ids=GROUPS)
    for name in ("One", "Two"):
        PlatformFunction(stack, name, handler_name=CANARY_HANDLER, key=key, description=name)
    add_compliance_gate(app)  # no LambdaInsideVPC finding left, and no acknowledgment of one that matches nothing
    return app.synth().get_stack_by_name("Placed").template


def test_functions_under_a_placement_run_in_its_subnets(placed_template: dict[str, Any]) -> None:
    functions = resources_of_type(placed_template, "AWS::Lambda::Function")
    assert [fn["Properties"]["VpcConfig"] for fn in functions.values()] == [
        {"SubnetIds": SUBNETS, "SecurityGroupIds": GROUPS}
    ] * 2


def test_the_functions_share_one_network_interface_policy(placed_template: dict[str, Any]) -> None:
    """One customer managed policy for every function of the placement (not one per role): its two wildcards
    (Describe, the interfaces' generated ids) are acknowledged once."""
    policies = {
        logical_id: res
        for logical_id, res in resources_of_type(placed_template, "AWS::IAM::ManagedPolicy").items()
        if "NetworkInterfacePolicy" in logical_id
    }
    assert len(policies) == 1
    (policy_id,) = policies
    roles = resources_of_type(placed_template, "AWS::IAM::Role")
    attached = [
        role for role in roles.values() if {"Ref": policy_id} in role["Properties"].get("ManagedPolicyArns", [])
    ]
    assert len(attached) == 2


def test_given_functions_in_vpc_with_an_existing_vpc_then_the_domain_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Studio")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["a"], isolated_subnet_ids=SUBNETS[:1]
    )
    with pytest.raises(PropsError, match="functions_in_vpc"):
        StudioDomain(stack, "Studio", domain_name="research", vpc=vpc, functions_in_vpc=True)
