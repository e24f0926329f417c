"""`StudioStack`: the dev account's SageMaker Studio domain, from the `studio` section of the platform config."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from sagemaker_platform.config import PlatformConfig, StudioClassicImagesConfig, StudioConfig, StudioVpcConfig
from sagemaker_platform.constructs.studio import ClassicImages, StudioDomain, StudioUser
from sagemaker_platform.stacks.access_logs import AccessLogsStack, shared_access_logs
from sagemaker_platform.stacks.base import tag_platform
from sagemaker_platform.stacks.network import place_functions
from sagemaker_platform.stacks.studio_personas import grant_studio_personas, persona_role_names
from sagemaker_platform.stacks.zones import DeployTimeZonesStack

CAPABILITY = "studio"

_REMOVAL_POLICIES = {"retain": cdk.RemovalPolicy.RETAIN, "destroy": cdk.RemovalPolicy.DESTROY}


class StudioStack(DeployTimeZonesStack):
    """The Studio domain named `<platform>-studio`, its VPC (or the configured one), roles, key and profiles.

    Its zones are chosen at deploy time (`DeployTimeZonesStack`): the new VPC in the dev account's pinned stack
    needs no zone lookup, so `cdk synth` runs with no AWS credentials.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PlatformConfig,
        studio: StudioConfig,
        access_logs: AccessLogsStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        tag_platform(self, config, CAPABILITY)
        vpc, subnets, security_groups = _imported_network(self, studio.vpc)
        functions = config.network.functions
        in_studio_vpc = functions is not None and functions.placement("dev") == "studio"
        if not in_studio_vpc:
            place_functions(self, config, "dev", CAPABILITY)
        self.studio = StudioDomain(
            self,
            "Studio",
            domain_name=f"{config.name}-studio",
            auth_mode=studio.auth,
            users=[
                StudioUser(u.name, sso_user_value=u.sso_user_value, own_role=u.own_role, persona=u.persona)
                for u in studio.users
            ],
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=security_groups,
            classic_images=_classic_images(studio.classic_images),
            idle_shutdown_minutes=studio.idle_shutdown_minutes,
            notebook_output_sharing=studio.notebook_output_sharing,
            access_logs=shared_access_logs(self, access_logs),
            enable_projects=studio.enable_projects,
            removal_policy=_REMOVAL_POLICIES[studio.removal_policy],
            persona_role_names=persona_role_names(config),
            functions_in_vpc=in_studio_vpc,
        )
        grant_studio_personas(self, config, self.studio)


def _imported_network(
    scope: Construct, vpc_config: StudioVpcConfig | None
) -> tuple[ec2.IVpc | None, ec2.SubnetSelection | None, list[ec2.ISecurityGroup] | None]:
    """The configured VPC, subnets and security groups, imported by id (offline: no lookup)."""
    if vpc_config is None:
        return None, None, None
    subnets = [
        ec2.Subnet.from_subnet_id(scope, f"Subnet{index}", subnet_id)
        for index, subnet_id in enumerate(vpc_config.subnet_ids)
    ]
    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id=vpc_config.vpc_id,
        # Only used to render the domain; the real zones come with the subnets.
        availability_zones=cdk.Fn.get_azs(),
        isolated_subnet_ids=list(vpc_config.subnet_ids),
    )
    security_groups: list[ec2.ISecurityGroup] | None = [
        ec2.SecurityGroup.from_security_group_id(scope, f"SecurityGroup{index}", sg_id, mutable=False)
        for index, sg_id in enumerate(vpc_config.security_group_ids)
    ] or None
    return vpc, ec2.SubnetSelection(subnets=subnets), security_groups


def _classic_images(value: StudioClassicImagesConfig | None) -> bool | ClassicImages:
    if value is None:
        return False
    return ClassicImages(value.jupyter_server, value.kernel_gateway, value.kernel_gateway_instance_type)
