"""`StudioDomain`: the construct, a short composition of its parts (roles, network, settings, lifecycle, profiles)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_platform.constructs.function_network import FunctionPlacement
from sagemaker_platform.constructs.studio.base import IStudioDomain, _ImportedStudioDomain
from sagemaker_platform.constructs.studio.images import validate_images
from sagemaker_platform.constructs.studio.profiles import _StudioProfiles
from sagemaker_platform.constructs.studio.settings import (
    DEFAULT_PROFILE_SHARDS,
    AuthMode,
    ClassicImages,
    Persona,
    StudioUser,
)
from sagemaker_platform.constructs.studio.teardown import lifecycle_services
from sagemaker_platform.constructs.studio.validation import validate_props
from sagemaker_platform.errors import PropsError


class StudioDomain(_StudioProfiles):
    """A VPC-only SageMaker Studio domain and its user profiles.

    Example::

        studio = StudioDomain(self, "Studio", domain_name="research",
                              users=[StudioUser("alice"), StudioUser("bob", own_role=True)])
        studio.grant_read_data(datasets_bucket, "curated/*")

    :param domain_name: the domain's name.
    :param auth_mode: ``"IAM"`` or ``"SSO"`` (IAM Identity Center). Default: ``"IAM"``.
    :param users: the user profiles. Default: none.
    :param vpc: an existing VPC. Default: a new VPC with two isolated subnets (no internet route), VPC flow
        logs, and interface endpoints for SageMaker API and runtime, STS, CloudWatch Logs and metrics, ECR,
        KMS (and Service Catalog with projects), plus an S3 gateway endpoint.
        The new VPC's zones are chosen at deploy time (`Fn::GetAZs`); `ec2.Vpc` still reads the stack's
        `availability_zones`, which in an account-pinned stack is a context lookup (credentials at synth):
        build it in a `sagemaker_platform.stacks.zones.DeployTimeZonesStack` to synthesize offline.
    :param vpc_subnets: subnets of `vpc` for the domain. Default: the VPC's private (isolated) subnets.
    :param security_groups: security groups for the domain's apps. Default: a new group allowing only NFS
        and the Studio Classic app ports within itself, and HTTPS out.
    :param key: KMS key for the home EFS file system and the spaces' EBS volumes. Default: a new key with
        rotation.
    :param classic_images: set Studio Classic's default JupyterServer (`jupyter-server-3`) and KernelGateway
        (`datascience-1.0`) images; a `ClassicImages` picks other SageMaker images. Default: False, Studio's own
        defaults. An env-agnostic stack gets a CloudFormation Rule refusing regions without Studio images.
    :param idle_shutdown_minutes: idle shutdown (60 to 525600) of JupyterLab and Code Editor apps, in private
        and (JupyterLab) shared spaces, and with `classic_images` of Studio Classic KernelGateway apps (a default
        JupyterServer lifecycle configuration, `ClassicIdleShutdown`). Default: 60; None: off.
    :param notebook_output_sharing: let users share notebooks with their output. Default: False.
    :param sharing_bucket: where shared notebooks go. Default: with sharing on, a new KMS-encrypted bucket.
    :param access_logs: with sharing on and no `sharing_bucket`, the bucket receiving the new sharing bucket's
        S3 server access logs, under ``<stack name>/sharing/``; its policy must admit log delivery from this
        account. Default: a log bucket of its own (`SharingAccessLogs`, logs under ``sharing/``).
    :param enable_projects: enable SageMaker Projects (the SageMaker Service Catalog portfolio, shared with
        the domain's execution roles). Default: False.
    :param removal_policy: what deleting the stack does to the domain, its home file system and key.
        Default: RETAIN. DESTROY deletes the domain's apps, spaces, profiles, the domain, its EFS file
        system and SageMaker's two NFS security groups for it.
    :param profile_shards: nested stacks holding the profiles. Default: 16. Never change it once deployed.
    :param functions_in_vpc: run the domain's lifecycle functions (teardown handlers and the Provider framework) in
        the new VPC's isolated subnets, with a security group of their own and the interface endpoints they call
        (EC2, EFS, Lambda, Step Functions), each open on HTTPS to that group only; `function_placement` places
        other stacks' functions there too. Needs the new VPC (no `vpc`). Default: False (outside any VPC).
    :param persona_role_names: fixed names of the persona roles (`persona_roles`), e.g. so that another
        account's policies can name them. Default: names CloudFormation generates.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain_name: str,
        auth_mode: AuthMode = "IAM",
        users: Sequence[StudioUser] = (),
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        key: kms.IKey | None = None,
        classic_images: bool | ClassicImages = False,
        idle_shutdown_minutes: int | None = 60,
        notebook_output_sharing: bool = False,
        sharing_bucket: s3.IBucket | None = None,
        access_logs: s3.IBucket | None = None,
        enable_projects: bool = False,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        profile_shards: int = DEFAULT_PROFILE_SHARDS,
        persona_role_names: Mapping[Persona, str] | None = None,
        functions_in_vpc: bool = False,
    ) -> None:
        super().__init__(scope, id)
        validate_props(domain_name, auth_mode, users, vpc, vpc_subnets, idle_shutdown_minutes, profile_shards)
        validate_images(classic_images)
        self.removal_policy = removal_policy
        self.auth_mode = auth_mode
        self._kept = []  # what a retained domain keeps using (see _retain_with_domain)
        self._add_keys(key, removal_policy)
        subnet_ids = self._add_network(vpc, vpc_subnets, security_groups, enable_projects)
        self.function_placement = self._add_function_network(functions_in_vpc, vpc is None, enable_projects)
        self._add_persona_roles(users, persona_role_names)
        if notebook_output_sharing and sharing_bucket is None:
            sharing_bucket = self._render_sharing_bucket(removal_policy, access_logs)
        self.sharing_bucket = sharing_bucket
        self._notebook_sharing = notebook_output_sharing
        user_settings = self._render_user_settings(
            self.execution_role, classic_images, idle_shutdown_minutes, notebook_output_sharing
        )
        self._add_domain(domain_name, auth_mode, subnet_ids, user_settings)
        self.provider = self._render_provider(cdk.Stack.of(self))
        self.user_profile_roles = {}
        self._personas = {user.name: user.persona for user in users}
        self.user_profiles = {}
        self.shards = self._render_profile_shards(users, profile_shards)
        if enable_projects:
            self._render_projects()
        if removal_policy == cdk.RemovalPolicy.DESTROY:
            self._render_domain_teardown()
        else:
            self._retain_with_domain(removal_policy)

    # --- imports ------------------------------------------------------------------------------------------

    @staticmethod
    def from_domain_id(scope: Construct, id: str, domain_id: str) -> IStudioDomain:
        """A domain created elsewhere, by its id; its ARN is built in `scope`'s region and account.

        Example::

            domain = StudioDomain.from_domain_id(self, "Research", "d-abc123")
            domain.grant_create_presigned_url(portal_role, "alice")
        """
        return _ImportedStudioDomain(scope, id, domain_id=domain_id, domain_arn=None, domain_url=None)

    @staticmethod
    def from_domain_attributes(
        scope: Construct, id: str, *, domain_id: str, domain_arn: str | None = None, domain_url: str | None = None
    ) -> IStudioDomain:
        """A domain created elsewhere, by its attributes.

        :param domain_id: the domain's id, e.g. ``d-abc123``.
        :param domain_arn: the domain's ARN. Default: built from `domain_id` in `scope`'s region and account.
        :param domain_url: the domain's Studio URL. Default: None (unknown).
        """
        return _ImportedStudioDomain(scope, id, domain_id=domain_id, domain_arn=domain_arn, domain_url=domain_url)

    # --- private helpers ----------------------------------------------------------------------------------

    def _add_keys(self, key: kms.IKey | None, removal_policy: cdk.RemovalPolicy) -> None:
        """The domain key (the caller's or a new one) and the key of logs, Lambda environments and queues."""
        self.key = key if key is not None else self._render_key("Key", removal_policy)
        # Logs, Lambda environments and dead-letter queues need a key whose policy this stack writes (CloudWatch
        # Logs must be let in): the domain's own key, or one of their own when the caller brought the domain key.
        self._ops_key = (
            self.key
            if isinstance(self.key, kms.Key) and cdk.Stack.of(self.key) is cdk.Stack.of(self)
            else self._render_key("OperationsKey", cdk.RemovalPolicy.RETAIN)
        )

    def _add_network(
        self,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
        enable_projects: bool,
    ) -> list[str]:
        """The VPC, security groups and (in a new VPC) endpoints; returns the domain's subnet ids."""
        self.vpc = vpc if vpc is not None else self._render_vpc()
        self.interface_endpoints = {}
        self.gateway_endpoints = {}
        self.security_group = None
        if security_groups is None:
            self.security_group = self._render_security_group()
            self._kept.append(self.security_group)
            security_groups = [self.security_group]
        if vpc is None:
            self._render_endpoints(enable_projects)
        self.security_groups = tuple(security_groups)
        return self._select_subnets(vpc_subnets)

    def _add_function_network(self, in_vpc: bool, new_vpc: bool, enable_projects: bool) -> FunctionPlacement | None:
        """With `functions_in_vpc`, the functions' network in the new VPC (see `_render_function_network`)."""
        if not in_vpc:
            return None
        if not new_vpc:
            raise PropsError(
                "StudioDomain",
                ["functions_in_vpc=True needs the new VPC (vpc=None): the endpoints of an existing VPC are not ours"],
            )
        return self._render_function_network(lifecycle_services(enable_projects))

    def _add_persona_roles(self, users: Sequence[StudioUser], persona_role_names: Mapping[Persona, str] | None) -> None:
        """The data scientists' role (the domain's default role) and, with approvers among the users, theirs."""
        role_names = dict(persona_role_names or {})
        # The data scientists' role is the domain's default role (shared spaces run with it too).
        self.execution_role = self._render_execution_role(
            "ExecutionRole", "default execution role (data scientists)", role_name=role_names.get("data-scientist")
        )
        self.persona_roles = {"data-scientist": self.execution_role}
        if any(user.persona == "approver" for user in users):
            self.persona_roles["approver"] = self._render_execution_role(
                "ApproverRole", "execution role of approvers", role_name=role_names.get("approver")
            )

    def _add_domain(
        self,
        domain_name: str,
        auth_mode: AuthMode,
        subnet_ids: list[str],
        user_settings: sagemaker.CfnDomain.UserSettingsProperty,
    ) -> None:
        """The `CfnDomain`, and its persona roles scoped to it."""
        self.domain = sagemaker.CfnDomain(
            self,
            "Domain",
            domain_name=domain_name,
            auth_mode=auth_mode,
            app_network_access_type="VpcOnly",
            vpc_id=self.vpc.vpc_id,
            subnet_ids=subnet_ids,
            kms_key_id=self.key.key_id,
            default_user_settings=user_settings,
            # Shared spaces: the same role, groups and JupyterLab idle shutdown as the users' private spaces.
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=self.execution_role.role_arn,
                security_groups=[sg.security_group_id for sg in self.security_groups],
                jupyter_lab_app_settings=user_settings.jupyter_lab_app_settings,
            ),
            domain_settings=sagemaker.CfnDomain.DomainSettingsProperty(
                security_group_ids=[sg.security_group_id for sg in self.security_groups],
                # Sessions of a user's role carry the profile name as aws:SourceIdentity: what limits a user
                # to their own projects when a persona's role is shared (`_render_projects`).
                execution_role_identity_config="USER_PROFILE_NAME",
            ),
            tag_propagation="ENABLED",
        )
        self.domain.apply_removal_policy(self.removal_policy)
        self.domain_id = self.domain.attr_domain_id
        self.domain_arn = self.domain.attr_domain_arn
        self.domain_url = self.domain.attr_url
        self.member_policy = self._render_member_policy()
        self._kept.append(self.member_policy)
        for persona_role in self.persona_roles.values():
            self._attach_member_policy(persona_role)
            self._kept.append(persona_role)
