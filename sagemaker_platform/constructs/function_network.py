"""Network placement of `PlatformFunction`s: subnets, security groups, network-interface permissions, endpoints.

`FunctionPlacement` put on a scope places every `PlatformFunction` created under it in a VPC (the one hook in
`PlatformFunction` asks `FunctionPlacement.of`). `FunctionEndpoints` is the functions' side of a VPC whose
subnets have no route out (the Studio VPC): their security group, and the interface endpoints the functions
need, added when a stack declares them (`require`), each reachable on HTTPS from the functions' group only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge

PLACEMENT_ID = "FunctionPlacement"
GATEWAY_SERVICES: Mapping[str, ec2.GatewayVpcEndpointAwsService] = {
    "s3": ec2.GatewayVpcEndpointAwsService.S3,
    "dynamodb": ec2.GatewayVpcEndpointAwsService.DYNAMODB,
}
HTTPS = ec2.Port.tcp(443)


class FunctionEndpoints(Construct):
    """The functions' security group in `vpc` and the endpoints they reach AWS through.

    Example::

        endpoints = FunctionEndpoints(self, "FunctionEndpoints", vpc=vpc,
                                      existing={"sts": sts_endpoint}, existing_gateways={"s3": s3_endpoint})
        endpoints.require("states", "sns", "dynamodb")

    :param vpc: a VPC whose subnets reach AWS only through its endpoints.
    :param existing: interface endpoints already in `vpc`, by service short name (``"sagemaker.api"``); a required
        one gets an HTTPS ingress rule from the functions' group instead of a second endpoint. Default: none.
    :param existing_gateways: gateway endpoints already in `vpc` (``"s3"``, ``"dynamodb"``). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        existing: Mapping[str, ec2.InterfaceVpcEndpoint] | None = None,
        existing_gateways: Mapping[str, ec2.IGatewayVpcEndpoint] | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.vpc = vpc
        self._existing = {} if existing is None else dict(existing)
        self._gateways: dict[str, ec2.IGatewayVpcEndpoint] = (
            {} if existing_gateways is None else dict(existing_gateways)
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Platform Lambda functions: HTTPS to the VPC endpoints only",
            allow_all_outbound=False,
        )
        self._endpoint_group: ec2.SecurityGroup | None = None
        self._admitted: set[str] = set()
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self._gateway_egress = False

    def require(self, *services: str) -> None:
        """Make `services` (IAM prefixes or endpoint short names: ``"states"``, ``"sagemaker.api"``, ``"s3"``)
        reachable from the functions' group: an existing endpoint admits it, otherwise a new one is added."""
        for service in services:
            if service in GATEWAY_SERVICES:
                self._require_gateway(service)
            elif service in self._existing:
                self._admit(self._existing[service])
                # Functions depend on this construct (`FunctionPlacement.place`): through it, on this endpoint too.
                self.node.add_dependency(self._existing[service])
            elif service not in self.endpoints:
                self.endpoints[service] = ec2.InterfaceVpcEndpoint(
                    self,
                    _construct_id(service),
                    vpc=self.vpc,
                    service=ec2.InterfaceVpcEndpointAwsService(service),
                    private_dns_enabled=True,
                    security_groups=[self._new_endpoint_group()],
                    open=False,
                )

    def _new_endpoint_group(self) -> ec2.SecurityGroup:
        if self._endpoint_group is None:
            self._endpoint_group = ec2.SecurityGroup(
                self,
                "EndpointSecurityGroup",
                vpc=self.vpc,
                description="Interface endpoints of the platform Lambda functions: HTTPS from them only",
                allow_all_outbound=False,
            )
            self._admit_group(self._endpoint_group)
        return self._endpoint_group

    def _admit(self, endpoint: ec2.InterfaceVpcEndpoint) -> None:
        for group in endpoint.connections.security_groups:
            self._admit_group(group)

    def _admit_group(self, group: ec2.ISecurityGroup) -> None:
        """HTTPS from the functions' group into an endpoints' group, and out of the functions' group to it."""
        key = cdk.Stack.of(self).resolve(group.security_group_id)
        if str(key) in self._admitted:
            return
        self._admitted.add(str(key))
        group.add_ingress_rule(self.security_group, HTTPS, "HTTPS from the platform Lambda functions")
        self.security_group.add_egress_rule(group, HTTPS, "HTTPS to the VPC interface endpoints")

    def _require_gateway(self, service: str) -> None:
        if service in self._gateways:
            self.node.add_dependency(self._gateways[service])
        else:
            self._gateways[service] = ec2.GatewayVpcEndpoint(
                self, _construct_id(service), vpc=self.vpc, service=GATEWAY_SERVICES[service]
            )
        if not self._gateway_egress:
            self._gateway_egress = True
            # The gateway endpoints' prefix lists have no CloudFormation attribute (a lookup would need credentials
            # at synth): HTTPS to any address, which the subnets' route tables send only to the VPC, S3 and DynamoDB.
            self.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), HTTPS, "HTTPS to S3 and DynamoDB through the gateway endpoints (no other route)"
            )


class FunctionPlacement(Construct):
    """Places every `PlatformFunction` created under `scope` in these subnets, with these security groups.

    Its one managed policy holds the network-interface permissions Lambda checks on the execution role (the
    scoped equivalent of `AWSLambdaVPCAccessExecutionRole`); placements copied to other stacks (`copy_to`)
    attach the same policy.

    :param subnet_ids: the functions' subnets.
    :param security_group_ids: the security groups of their network interfaces.
    :param endpoints: the VPC's `FunctionEndpoints`, when the platform manages them: functions are created
        after, and deleted before, its endpoints. Default: none (the VPC's routes are the caller's).
    :param routes_out: whether the subnets route to the internet; without, a function that `needs_internet` stays
        outside. Default: True (existing subnets: their routes are the caller's).
    :param policy: the network-interface policy to attach (`copy_to` passes the original's). Default: a new one,
        scoped to `subnet_ids` and `security_group_ids`, created with the first function placed.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        subnet_ids: Sequence[str],
        security_group_ids: Sequence[str],
        endpoints: FunctionEndpoints | None = None,
        policy: iam.IManagedPolicy | None = None,
        routes_out: bool = True,
    ) -> None:
        super().__init__(scope, PLACEMENT_ID)
        self.routes_out = routes_out
        self.subnet_ids = list(subnet_ids)
        self.security_group_ids = list(security_group_ids)
        self.endpoints = endpoints
        self._policy = policy

    @property
    def policy(self) -> iam.IManagedPolicy:
        """The network-interface policy, created with the first function placed (a stack without functions gets
        none)."""
        if self._policy is None:
            self._policy = self._render_policy()
        return self._policy

    @staticmethod
    def of(construct: IConstruct) -> FunctionPlacement | None:
        """The placement of the nearest scope of `construct` that has one, if any."""
        for scope in reversed(construct.node.scopes):
            found = scope.node.try_find_child(PLACEMENT_ID)
            if isinstance(found, FunctionPlacement):
                return found
        return None

    def copy_to(self, scope: Construct) -> FunctionPlacement:
        """The same placement (and policy) for the functions under `scope`, e.g. another stack in the VPC's account."""
        return FunctionPlacement(
            scope,
            subnet_ids=self.subnet_ids,
            security_group_ids=self.security_group_ids,
            endpoints=self.endpoints,
            policy=self.policy,
            routes_out=self.routes_out,
        )

    def place(self, function: lambda_.Function, role: iam.IRole) -> None:
        """Put `function` (executing as `role`) in the subnets; set on the L1, so it needs no `IVpc`."""
        cfn = function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.vpc_config = lambda_.CfnFunction.VpcConfigProperty(
            subnet_ids=self.subnet_ids, security_group_ids=self.security_group_ids
        )
        role.add_managed_policy(self.policy)
        if self.endpoints is not None:
            # Created after its endpoints and deleted before them: a custom resource's handler still reaches AWS
            # while its stack is deleted.
            function.node.add_dependency(self.endpoints)
            if cdk.Stack.of(self.endpoints) is not cdk.Stack.of(function):
                acknowledge(
                    function,
                    {
                        f"{CONTROL_TOWER}lambda_inside_vpc_check": "the function is in the Studio VPC: its VpcConfig "
                        "names that VPC's subnets and the functions' security group through the Studio stack's "
                        "outputs, which the rule does not resolve (it accepts only literal ids and local references)"
                    },
                )

    def _render_policy(self) -> iam.ManagedPolicy:
        stack = cdk.Stack.of(self)
        statements = network_interface_statements(stack, self.subnet_ids, self.security_group_ids)
        policy = iam.ManagedPolicy(
            self,
            "NetworkInterfacePolicy",
            description="Lets Lambda create and delete the network interfaces of the platform's functions in their "
            "subnets",
            statements=statements,
        )
        acknowledge(policy, network_interface_reasons(stack))
        return policy


def network_interface_statements(
    stack: cdk.Stack, subnet_ids: Sequence[str], security_group_ids: Sequence[str]
) -> list[iam.PolicyStatement]:
    """The permissions Lambda checks on a VPC function's role: create interfaces only in these subnets with these
    groups, delete and re-address interfaces, and the two Describe actions (no resource-level permissions)."""

    def ec2_arn(resource: str) -> str:
        return stack.format_arn(service="ec2", resource=resource)

    interfaces = ec2_arn("network-interface/*")
    return [
        iam.PolicyStatement(
            actions=["ec2:CreateNetworkInterface"],
            resources=[
                interfaces,
                *(ec2_arn(f"subnet/{subnet}") for subnet in subnet_ids),
                *(ec2_arn(f"security-group/{group}") for group in security_group_ids),
            ],
        ),
        iam.PolicyStatement(
            actions=["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            resources=[interfaces],
        ),
        iam.PolicyStatement(actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], resources=["*"]),
    ]


def network_interface_reasons(stack: cdk.Stack) -> dict[str, str]:
    """The AwsSolutions-IAM5 findings of `network_interface_statements`, with their reasons."""
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return {
        "AwsSolutions-IAM5[Resource::*]": "ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which Lambda checks "
        "before it places a function in its VPC, support no resource-level permissions",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:{region}:{account}:network-interface/*]": "Lambda "
        "creates and deletes the functions' network interfaces in the configured subnets; their ids are generated "
        "at run time",
    }


def _construct_id(service: str) -> str:
    return "".join(part.title() for part in service.replace("-", ".").split(".")) + "Endpoint"
