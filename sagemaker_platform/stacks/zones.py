"""Availability zones chosen at deploy time, so that an account-pinned stack synthesizes offline."""

from __future__ import annotations

import aws_cdk as cdk

ZONE_COUNT = 2
"""Zones a new VPC of the platform spans (the Studio VPC: two isolated subnets)."""


def deploy_time_zones(count: int = ZONE_COUNT) -> list[str]:
    """The first `count` zones of the deploying region, as `Fn::Select` over `Fn::GetAZs` (resolved at deploy)."""
    return [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(count)]


class DeployTimeZonesStack(cdk.Stack):
    """A stack whose `availability_zones` are `deploy_time_zones()`, never a context lookup.

    CDK answers `Stack.availability_zones` of an account-pinned stack with an `availability-zones` context
    lookup (AWS credentials at synth, or a committed `cdk.context.json`), and `ec2.Vpc` reads it even when it
    is given its zones (to check them). Overriding it, as the CDK documents, keeps `cdk synth` offline in
    every account; an env-agnostic stack renders the same `Fn::GetAZs` zones anyway.

    Example::

        class NetworkStack(DeployTimeZonesStack):
            def __init__(self, scope, id, **kwargs):
                super().__init__(scope, id, **kwargs)
                ec2.Vpc(self, "Vpc", availability_zones=deploy_time_zones(), nat_gateways=0)
    """

    @property
    def availability_zones(self) -> list[str]:
        return deploy_time_zones()
