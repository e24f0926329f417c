"""`DeployTimeZonesStack`: a VPC in an account-pinned stack needs no availability-zone lookup."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from sagemaker_platform.stacks.zones import DeployTimeZonesStack, deploy_time_zones

PINNED = cdk.Environment(account="333333333333", region="eu-west-1")


def _missing_lookups(stack_class: type[cdk.Stack], outdir: Path) -> list[str]:
    app = cdk.App(outdir=str(outdir))
    stack = stack_class(app, "Network", env=PINNED)
    ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=deploy_time_zones(),
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    manifest = json.loads((Path(app.synth().directory) / "manifest.json").read_text())
    return [entry["key"] for entry in manifest.get("missing", [])]


@pytest.mark.parametrize(
    ("stack_class", "expected"),
    [
        (DeployTimeZonesStack, []),
        # The control: a plain pinned stack makes the lookup that `cdk synth` cannot answer offline.
        (cdk.Stack, ["availability-zones:account=333333333333:region=eu-west-1"]),
    ],
)
def test_given_a_pinned_stack_with_a_vpc_then_only_deploy_time_zones_avoid_the_lookup(
    tmp_path: Path, stack_class: type[cdk.Stack], expected: list[str]
) -> None:
    assert _missing_lookups(stack_class, tmp_path) == expected
