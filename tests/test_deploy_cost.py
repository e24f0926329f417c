"""A redeploy without a change runs no custom resource, and a first deploy runs one per configured thing.

CloudFormation sends a custom resource an Update only when its properties change: the same config
synthesized twice must give every custom resource the same properties (no timestamp, no random value, no
hash of something that differs between syntheses). `bench/deploy_cost.py` prints the same figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api

from bench.deploy_cost import custom_resource_properties, deploy_cost, templates_in
from tests.support import default_config_raw, synth_platform


@pytest.fixture(scope="module")
def default_twice(
    default_assembly: cx_api.CloudAssembly, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], dict[str, Any]]:
    again = synth_platform(default_config_raw(), tmp_path_factory.mktemp("again") / "cdk.out")
    return templates_in(Path(default_assembly.directory)), templates_in(Path(again.directory))


def test_given_the_default_config_synthesized_twice_then_no_custom_resource_would_run_on_redeploy(
    default_twice: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, second = default_twice
    assert custom_resource_properties(first), "the default app has custom resources to compare"
    cost = deploy_cost(first, second)
    assert cost.changed == ()
    assert cost.redeploy_invocations == 0


def test_given_a_custom_resource_whose_properties_change_then_the_redeploy_figure_counts_it() -> None:
    def template(stamp: str) -> dict[str, Any]:
        return {
            "Resources": {
                "Cleanup": {"Type": "Custom::Thing", "Properties": {"ServiceToken": "t", "Stamp": stamp}},
                "Plain": {"Type": "AWS::CloudFormation::CustomResource", "Properties": {"ServiceToken": "t"}},
                "Bucket": {"Type": "AWS::S3::Bucket"},
            }
        }

    cost = deploy_cost({"App.template.json": template("1")}, {"App.template.json": template("2")})
    assert (cost.stacks, cost.resources, cost.custom_resources) == (1, 3, 2)
    assert cost.changed == ("App.template.json/Cleanup",)


def test_given_the_default_config_then_a_first_deploy_runs_one_studio_profile_cleanup_not_one_per_shard(
    default_twice: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, _ = default_twice
    cleanups = [key for key, _ in custom_resource_properties(first).items() if "ProfileCleanup" in key]
    assert len(cleanups) == 1
    shards = [name for name in first if "Profiles" in name and name.endswith(".nested.template.json")]
    assert len(shards) == 2  # alice and bob, each in a shard of their own


def test_given_interface_and_gateway_endpoints_then_only_interface_endpoint_azs_are_counted() -> None:
    """An idle deployment pays per interface endpoint and subnet (an ENI each); gateway endpoints cost nothing."""
    template = {
        "Resources": {
            "Sqs": {
                "Type": "AWS::EC2::VPCEndpoint",
                "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
            },
            "S3": {
                "Type": "AWS::EC2::VPCEndpoint",
                "Properties": {"VpcEndpointType": "Gateway", "RouteTableIds": ["r"]},
            },
        }
    }
    assert deploy_cost({"App.template.json": template}, {"App.template.json": template}).endpoint_azs == 2
