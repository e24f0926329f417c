"""Keys, log groups and network of the Studio domain: a VPC-only domain in a new isolated VPC or the caller's."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.function import grant_logs_encrypt
from sagemaker_platform.constructs.function_network import FunctionEndpoints, FunctionPlacement
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.studio.roles import _StudioRoles
from sagemaker_platform.constructs.studio.settings import _CLASSIC_APP_PORTS


class _StudioNetwork(_StudioRoles):
    """The keys, log groups, VPC, security groups and endpoints part of `StudioDomain`."""

    vpc: ec2.IVpc
    security_group: ec2.SecurityGroup | None
    security_groups: tuple[ec2.ISecurityGroup, ...]
    interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint]
    gateway_endpoints: dict[str, ec2.IGatewayVpcEndpoint]

    def _render_key(self, id: str, removal_policy: cdk.RemovalPolicy) -> kms.Key:
        key = kms.Key(
            self,
            id,
            description="SageMaker Studio domain: home EFS file system, space EBS volumes, logs"
            if id == "Key"
            else "SageMaker Studio domain operations: logs, Lambda environments, dead-letter queues",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        limit_grants_to_aws_resources(key)
        grant_logs_encrypt(key)
        return key

    def _render_log_group(self, id: str) -> logs.LogGroup:
        """A log group encrypted with the operations key, kept a year and kept when the stack goes."""
        return logs.LogGroup(
            self,
            id,
            encryption_key=self._ops_key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _render_vpc(self) -> ec2.Vpc:
        # Isolated subnets only: no internet gateway, no NAT. Studio reaches AWS through the endpoints below.
        vpc = ec2.Vpc(
            self,
            "Vpc",
            # Two zones chosen at deploy time (Fn::GetAZs), also in an account-pinned stack: offline synth
            # has no zone lookup, and CDK would otherwise write placeholder zones into the template.
            availability_zones=[cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(2)],
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="studio", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=22)
            ],
            # The default group is closed by a CDK custom resource; the domain never uses it.
            restrict_default_security_group=False,
        )
        closed = (
            "no resource uses the default security group: the domain, its apps and the endpoints each get a "
            "group of their own (closing it needs a CDK custom resource Lambda of its own)"
        )
        acknowledge(
            vpc,
            {
                "HIPAA.Security-VPCDefaultSecurityGroupClosed": closed,
                "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": closed,
            },
        )
        flow_logs = self._render_log_group("FlowLogs")
        self._kept.append(vpc)
        flow_logs_role = PlatformRole(
            self,
            "FlowLogsRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            description="Delivers the Studio VPC's flow logs to CloudWatch Logs",
        )
        self._kept.append(flow_logs_role)
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs, flow_logs_role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        return vpc

    def _select_subnets(self, selection: ec2.SubnetSelection | None) -> list[str]:
        if selection is None:
            return self.vpc.select_subnets().subnet_ids  # private subnets: the new VPC's isolated ones
        if selection.subnets is not None:
            # Imported by id: CDK cannot place them in zones offline, and the domain needs only the ids.
            return [subnet.subnet_id for subnet in selection.subnets]
        return self.vpc.select_subnets(
            availability_zones=selection.availability_zones,
            one_per_az=selection.one_per_az,
            subnet_filters=selection.subnet_filters,
            subnet_group_name=selection.subnet_group_name,
            subnet_type=selection.subnet_type,
        ).subnet_ids

    def _closed_security_group(self, id: str, description: str) -> ec2.SecurityGroup:
        """A security group of the Studio VPC with no outbound rule but those added to it."""
        return ec2.SecurityGroup(self, id, vpc=self.vpc, description=description, allow_all_outbound=False)

    def _render_security_group(self) -> ec2.SecurityGroup:
        sg = self._closed_security_group(
            "SecurityGroup", "SageMaker Studio apps: NFS to the home file system, app-to-app, HTTPS out"
        )
        sg.add_ingress_rule(sg, ec2.Port.tcp(2049), "NFS between the apps and the home EFS file system")
        sg.add_egress_rule(sg, ec2.Port.tcp(2049), "NFS between the apps and the home EFS file system")
        sg.add_ingress_rule(sg, _CLASSIC_APP_PORTS, "Studio Classic JupyterServer to KernelGateway apps")
        sg.add_egress_rule(sg, _CLASSIC_APP_PORTS, "Studio Classic JupyterServer to KernelGateway apps")
        # HTTPS to the interface endpoints (in the VPC) and to S3 through the gateway endpoint, whose
        # prefix list id cannot be resolved offline. The isolated subnets have no route anywhere else.
        sg.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the VPC endpoints and S3")
        return sg

    def _render_endpoints(self, enable_projects: bool) -> None:
        assert self.security_group is not None
        endpoint_sg = self._closed_security_group(
            "EndpointSecurityGroup", "Interface endpoints of the Studio VPC: HTTPS from the Studio apps only"
        )
        endpoint_sg.add_ingress_rule(self.security_group, ec2.Port.tcp(443), "HTTPS from the Studio apps")
        services = {
            "SageMakerApi": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
            "SageMakerRuntime": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
            "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
            "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
            "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
            "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
            "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
            "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
        }
        if enable_projects:
            services["ServiceCatalog"] = ec2.InterfaceVpcEndpointAwsService.SERVICE_CATALOG
        self._kept.append(endpoint_sg)
        for name, service in services.items():
            endpoint = ec2.InterfaceVpcEndpoint(
                self,
                f"{name}Endpoint",
                vpc=self.vpc,
                service=service,
                private_dns_enabled=True,
                security_groups=[endpoint_sg],
                open=False,
            )
            self._kept.append(endpoint)
            self.interface_endpoints[service.short_name] = endpoint
        s3_endpoint = ec2.GatewayVpcEndpoint(
            self, "S3Endpoint", vpc=self.vpc, service=ec2.GatewayVpcEndpointAwsService.S3
        )
        self._kept.append(s3_endpoint)
        self.gateway_endpoints["s3"] = s3_endpoint

    def _render_function_network(self, services: tuple[str, ...]) -> FunctionPlacement:
        """The domain's own functions, and those of other stacks given `function_placement`, in the isolated
        subnets: their security group, the endpoints `services` need, and the placement of this construct."""
        endpoints = FunctionEndpoints(
            self,
            "FunctionEndpoints",
            vpc=self.vpc,
            existing=self.interface_endpoints,
            existing_gateways=self.gateway_endpoints,
        )
        endpoints.require(*services)
        return FunctionPlacement(
            self,
            subnet_ids=self.vpc.select_subnets().subnet_ids,
            security_group_ids=[endpoints.security_group.security_group_id],
            endpoints=endpoints,
            routes_out=False,  # isolated subnets
        )
