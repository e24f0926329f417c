"""`StudioDomain`: a VPC-only SageMaker Studio domain with least-privilege roles, KMS, profiles at scale and teardown.

Production-grade take on the published "Studio domain with user profiles in CDK" sample:

- VPC-only network access, in a new isolated VPC with the interface endpoints Studio needs, or in an
  imported VPC; one security group that allows only NFS to the home file system, the Studio Classic
  app-to-app ports, and HTTPS out.
- A customer managed KMS key (rotation on) for the home EFS file system and the spaces' EBS volumes.
- A default execution role scoped to this domain (no AWS managed full-access policy), optional
  per-profile roles, and `grant_read_data` / `grant_read_write_data` for data access.
- Studio Classic images resolved per region *and* partition through a `CfnMapping`.
- Profiles sharded into nested stacks by a stable hash, so 2,000 users stay under CloudFormation's
  limits and adding or removing a user never moves another one.
- Clean removal: a removed user's apps and private spaces are deleted before the profile; with
  `removal_policy=DESTROY`, deleting the stack deletes the domain's apps, spaces, profiles, the
  domain, its home file system and SageMaker's two NFS security groups, in that order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from sagemaker_platform import regions
from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, skip_checkov
from sagemaker_platform.config import USER_PROFILE_NAME_PATTERN
from sagemaker_platform.constructs.function import PlatformFunction, grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import ACCESS_LOG_RETENTION, access_logs_bucket, encrypted_bucket
from sagemaker_platform.constructs.wildcards import add_statement
from sagemaker_platform.contracts import names
from sagemaker_platform.errors import ProblemCollector

AuthMode = Literal["IAM", "SSO"]
Persona = Literal["data-scientist", "approver"]
PERSONAS: tuple[Persona, ...] = ("data-scientist", "approver")

# Account that publishes the SageMaker Studio images in each region: one table, with its source, in `regions`.
# The image ARN is built with the partition of the deploying stack (arn:aws-cn:..., arn:aws-us-gov:...).
STUDIO_IMAGE_ACCOUNTS: dict[str, str] = regions.STUDIO_IMAGE_ACCOUNTS
SHARED_NOTEBOOKS_PATTERN = "shared/*"
JUPYTER_SERVER_IMAGE = "jupyter-server-3"
KERNEL_GATEWAY_IMAGE = "datascience-1.0"
_IMAGE_NAME = re.compile(names.IMAGE_NAME)


@dataclass(frozen=True)
class ClassicImages:
    """Studio Classic's default images: SageMaker-published image names, resolved per region and partition.

    Default: ``jupyter-server-3`` and ``datascience-1.0`` on ``ml.t3.medium``; e.g.
    ``ClassicImages(kernel_gateway="sagemaker-data-science-310-v1")`` for the Data Science 3.0 image.
    """

    jupyter_server: str = JUPYTER_SERVER_IMAGE
    kernel_gateway: str = KERNEL_GATEWAY_IMAGE
    kernel_gateway_instance_type: str = "ml.t3.medium"


DEFAULT_PROFILE_SHARDS = 16
"""Nested stacks holding the user profiles. Fixed: changing it moves profiles between stacks, which replaces them."""
_MAX_RESOURCES_PER_SHARD = 450  # CloudFormation allows 500; keep room for the shard's own resources.
# The profile cleanup's request carries the old and the new name lists, and the Provider framework's waiter
# state machine takes it as input: Step Functions accepts at most 256 KiB, so each list gets under half.
_MAX_PROFILE_NAMES_BYTES = 120_000

# Studio Classic's JupyterServer and KernelGateway apps talk to each other on these ports (Studio VPC docs).
_CLASSIC_APP_PORTS = ec2.Port.tcp_range(8192, 65535)

# --- actions, in one place (STYLE.md rule 4) ---------------------------------------------------------------

# What Studio itself does with the execution role of a user: run that user's apps and spaces in this domain.
DOMAIN_DESCRIBE_ACTIONS = ["sagemaker:DescribeDomain"]
PROFILE_DESCRIBE_ACTIONS = ["sagemaker:DescribeUserProfile"]
APP_ACTIONS = ["sagemaker:CreateApp", "sagemaker:DeleteApp", "sagemaker:DescribeApp", "sagemaker:AddTags"]
SPACE_ACTIONS = [
    "sagemaker:CreateSpace",
    "sagemaker:UpdateSpace",
    "sagemaker:DeleteSpace",
    "sagemaker:DescribeSpace",
    "sagemaker:AddTags",
]
# List APIs support no resource-level permissions (Service Authorization Reference).
LIST_ACTIONS = ["sagemaker:ListApps", "sagemaker:ListSpaces", "sagemaker:ListUserProfiles", "sagemaker:ListTags"]
PROJECT_ACTIONS = [
    "sagemaker:CreateProject",
    "sagemaker:DeleteProject",
    "sagemaker:DescribeProject",
    "sagemaker:UpdateProject",
]
OWN_PROJECT_PATTERN = "${aws:SourceIdentity}-*"
"""The projects a Studio user may create, update, describe and delete: `<their user profile name>-...`."""
PROJECT_LIST_ACTIONS = [
    "sagemaker:ListProjects",
    "servicecatalog:SearchProducts",
    "servicecatalog:DescribeProduct",
    "servicecatalog:DescribeProductView",
    "servicecatalog:DescribeProvisioningParameters",
    "servicecatalog:ListLaunchPaths",
]
# StudioDomain.grant_read_data / grant_read_write_data: named actions, never `s3:GetObject*`-style wildcards.
DATA_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"]
DATA_WRITE_ACTIONS = ["s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:AbortMultipartUpload"]
DATA_LIST_ACTIONS = ["s3:ListBucket"]
DATA_READ_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
DATA_WRITE_KEY_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"]
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]

# What the teardown functions may do, scoped to this domain in the constructor.
TEARDOWN_SAGEMAKER_ACTIONS = [
    "sagemaker:DescribeDomain",
    "sagemaker:DeleteDomain",
    "sagemaker:DeleteApp",
    "sagemaker:DeleteSpace",
    "sagemaker:DescribeSpace",
    "sagemaker:DeleteUserProfile",
    "sagemaker:DescribeUserProfile",
]
TEARDOWN_EFS_DESCRIBE_ACTIONS = ["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeMountTargets"]
TEARDOWN_EFS_DELETE_ACTIONS = ["elasticfilesystem:DeleteMountTarget", "elasticfilesystem:DeleteFileSystem"]
TEARDOWN_SG_ACTIONS = [
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DeleteSecurityGroup",
]
# Account-level calls without a resource type: grantable on `*` only (Service Authorization Reference).
PROJECTS_ACCOUNT_ACTIONS = [
    "sagemaker:EnableSagemakerServicecatalogPortfolio",
    "sagemaker:GetSagemakerServicecatalogPortfolioStatus",
    "servicecatalog:ListAcceptedPortfolioShares",
]
PROJECTS_PORTFOLIO_ACTIONS = [
    "servicecatalog:AssociatePrincipalWithPortfolio",
    "servicecatalog:DisassociatePrincipalFromPortfolio",
]


@dataclass(frozen=True)
class StudioUser:
    """One user profile of the domain.

    :param name: the profile name (SageMaker's UserProfileName pattern).
    :param sso_user_value: IAM Identity Center user name. Default: `name`. Used only with SSO auth.
    :param own_role: give this profile an execution role of its own. Default: its persona's role.
    :param persona: what the user does: ``"data-scientist"`` (the domain's default role) or ``"approver"``
        (the approver role). Default: ``"data-scientist"``. The construct gives both personas Studio's own
        needs; what each persona may do beyond Studio is granted on `StudioDomain.persona_roles`.
    """

    name: str
    sso_user_value: str | None = None
    own_role: bool = False
    persona: Persona = "data-scientist"


def _wildcard_finding(stack: cdk.Stack, service: str, path: str) -> str:
    """The cdk-nag AwsSolutions-IAM5 finding id of a wildcard resource `arn:<partition>:<service>:...:<path>`.

    cdk-nag renders unresolved pseudo parameters as `<AWS::Region>`; a concrete env shows its values.
    """
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:{service}:{region}:{account}:{path}]"


def _nag_arn(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """How cdk-nag renders `bucket`'s ARN in a policy of `stack` (`<LogicalId.Arn>`, `arn:<AWS::Partition>:...`)."""
    return _nag_render(stack.resolve(bucket.bucket_arn))


def _nag_render(value: object) -> str:
    """cdk-nag's rendering of a resolved CloudFormation value: `<Ref>`, `<Logical.Attr>`, joins concatenated."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            return str(argument[0]).join(_nag_render(part) for part in argument[1])
    return str(value)


def _invoke_finding(stack: cdk.Stack, function: IConstruct) -> str:
    """The cdk-nag finding id of `lambda:InvokeFunction` on `<function ARN>:*` (versions and aliases)."""
    logical_id = stack.get_logical_id(function.node.default_child)  # type: ignore[arg-type]
    return f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>:*]"


_LIST_REASON = (
    "SageMaker List* APIs (ListApps, ListSpaces, ListUserProfiles, ListTags) support no resource-level permissions"
)


def _domain_wildcard_reasons(stack: cdk.Stack, domain_ref: str, *, with_list: bool = True) -> dict[str, str]:
    """Acknowledgments of the wildcards that stay inside one domain: its profiles, apps and spaces, and List*
    (unless `with_list` is false: the caller acknowledges its List* statement where it adds it)."""
    return {
        **({"AwsSolutions-IAM5[Resource::*]": _LIST_REASON} if with_list else {}),
        _wildcard_finding(stack, "sagemaker", f"user-profile/{domain_ref}/*"): "profiles of this one domain, "
        "whose names are known only at run time",
        _wildcard_finding(stack, "sagemaker", f"app/{domain_ref}/*"): "apps of this one domain: app names are "
        "generated by Studio at run time",
        _wildcard_finding(stack, "sagemaker", f"space/{domain_ref}/*"): "spaces of this one domain: users name "
        "their spaces at run time",
    }


def _construct_suffix(name: str) -> str:
    """A construct id suffix for profile `name` whose logical id cannot collide with another profile's.

    CloudFormation logical ids drop the hyphens, so `jo-ann` and `joann` would both become `Profilejoann`;
    a hyphenated name gets a short hash of itself. Plain names keep the readable `Profile<name>`.
    """
    if "-" not in name:
        return f"-{name}"
    return f"-{name}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def profile_shard(name: str, shards: int) -> int:
    """The nested stack that holds profile `name`: a stable hash of the name alone.

    Moving a profile to another nested stack deletes and re-creates it (the user loses their apps and
    spaces), so the assignment must not depend on the other users: adding or removing one user never
    moves another. Counting-based schemes (users[i] -> i // 200) would shift every later user.
    SHA-256 rather than `hash()`, which Python salts per process.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


class StudioDomain(Construct):
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
        and (JupyterLab) shared spaces. Default: 60; None: off.
    :param notebook_output_sharing: let users share notebooks with their output. Default: False.
    :param sharing_bucket: where shared notebooks go. Default: with sharing on, a new KMS-encrypted bucket.
    :param enable_projects: enable SageMaker Projects (the SageMaker Service Catalog portfolio, shared with
        the domain's execution roles). Default: False.
    :param removal_policy: what deleting the stack does to the domain, its home file system and key.
        Default: RETAIN. DESTROY deletes the domain's apps, spaces, profiles, the domain, its EFS file
        system and SageMaker's two NFS security groups for it.
    :param profile_shards: nested stacks holding the profiles. Default: 16. Never change it once deployed.
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
        enable_projects: bool = False,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        profile_shards: int = DEFAULT_PROFILE_SHARDS,
        persona_role_names: Mapping[Persona, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._validate(domain_name, auth_mode, users, vpc, vpc_subnets, idle_shutdown_minutes, profile_shards)
        self._validate_images(classic_images)
        stack = cdk.Stack.of(self)
        self.removal_policy = removal_policy
        self.auth_mode = auth_mode

        self._kept: list[IConstruct] = []  # what a retained domain keeps using (see _retain_with_domain)
        self.key: kms.IKey = key if key is not None else self._render_key("Key", removal_policy)
        # Logs, Lambda environments and dead-letter queues need a key whose policy this stack writes (CloudWatch
        # Logs must be let in): the domain's own key, or one of their own when the caller brought the domain key.
        self._ops_key: kms.Key = (
            self.key
            if isinstance(self.key, kms.Key) and cdk.Stack.of(self.key) is cdk.Stack.of(self)
            else self._render_key("OperationsKey", cdk.RemovalPolicy.RETAIN)
        )
        self.vpc: ec2.IVpc = vpc if vpc is not None else self._render_vpc()
        self.security_group: ec2.SecurityGroup | None = None
        if security_groups is None:
            self.security_group = self._render_security_group()
            self._kept.append(self.security_group)
            security_groups = [self.security_group]
        if vpc is None:
            self._render_endpoints(enable_projects)
        self.security_groups: tuple[ec2.ISecurityGroup, ...] = tuple(security_groups)
        subnet_ids = self._select_subnets(vpc_subnets)

        role_names = dict(persona_role_names or {})
        # The data scientists' role is the domain's default role (shared spaces run with it too).
        self.execution_role = self._render_execution_role(
            "ExecutionRole", "default execution role (data scientists)", role_name=role_names.get("data-scientist")
        )
        self.persona_roles: dict[Persona, PlatformRole] = {"data-scientist": self.execution_role}
        if any(user.persona == "approver" for user in users):
            self.persona_roles["approver"] = self._render_execution_role(
                "ApproverRole", "execution role of approvers", role_name=role_names.get("approver")
            )
        if notebook_output_sharing and sharing_bucket is None:
            sharing_bucket = self._render_sharing_bucket(removal_policy)
        self.sharing_bucket = sharing_bucket
        self._notebook_sharing = notebook_output_sharing

        user_settings = self._render_user_settings(
            self.execution_role, classic_images, idle_shutdown_minutes, notebook_output_sharing
        )
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
        self.domain.apply_removal_policy(removal_policy)
        self.domain_id: str = self.domain.attr_domain_id
        self.domain_arn: str = self.domain.attr_domain_arn
        for persona_role in self.persona_roles.values():
            self._scope_role_to_domain(persona_role, self.domain_id, self._domain_ref())
            self._kept.append(persona_role)

        self.provider = self._render_provider(stack)
        self.user_profile_roles: dict[str, iam.IRole] = {}
        self._personas: dict[str, Persona] = {user.name: user.persona for user in users}
        self.user_profiles: dict[str, sagemaker.CfnUserProfile] = {}
        self.shards = self._render_profile_shards(users, profile_shards)
        if enable_projects:
            self._render_projects()
        if removal_policy == cdk.RemovalPolicy.DESTROY:
            self._render_domain_teardown()
        else:
            self._retain_with_domain(removal_policy)

    # --- public methods ---------------------------------------------------------------------------------

    def roles_of_persona(self, persona: Persona) -> list[iam.IRole]:
        """Every execution role a user of `persona` may run with: the persona's role and the own roles
        (`own_role`) of its users. Grant a persona's permissions on each."""
        if persona not in self.persona_roles:
            return []
        own = [role for user, role in sorted(self.user_profile_roles.items()) if self._personas[user] == persona]
        return [self.persona_roles[persona], *own]

    def grant_read_data(
        self, bucket: s3.IBucket, objects_key_pattern: str = "*", *, user: str | None = None
    ) -> iam.Grant:
        """Let the default execution role (or `user`'s own role) list and read objects of `bucket` under the pattern.

        Named actions only (no `s3:GetObject*`), `s3:ListBucket` limited to the pattern as prefix, and
        `kms:Decrypt` on the bucket's key when it has one. The pattern's wildcard is acknowledged on the role.
        """
        return self._grant_data(bucket, objects_key_pattern, user, DATA_READ_ACTIONS, DATA_READ_KEY_ACTIONS)

    def grant_read_write_data(
        self, bucket: s3.IBucket, objects_key_pattern: str = "*", *, user: str | None = None
    ) -> iam.Grant:
        """As `grant_read_data`, plus writing and deleting objects under the pattern (and encrypting with the key)."""
        return self._grant_data(
            bucket,
            objects_key_pattern,
            user,
            DATA_READ_ACTIONS + DATA_WRITE_ACTIONS,
            DATA_READ_KEY_ACTIONS + DATA_WRITE_KEY_ACTIONS,
        )

    def _grant_data(
        self,
        bucket: s3.IBucket,
        pattern: str,
        user: str | None,
        actions: list[str],
        key_actions: list[str],
    ) -> iam.Grant:
        role = self._role_of(user)
        grant = iam.Grant.add_to_principal(
            grantee=role, actions=actions, resource_arns=[bucket.arn_for_objects(pattern)]
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=role,
                actions=DATA_LIST_ACTIONS,
                resource_arns=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [pattern]}},
            )
        )
        if bucket.encryption_key is not None:
            grant = grant.combine(bucket.encryption_key.grant(role, *key_actions))
        if "*" in pattern:
            acknowledge(
                role,
                {
                    f"AwsSolutions-IAM5[Resource::{_nag_arn(cdk.Stack.of(role), bucket)}/{pattern}]": f"objects "
                    f"under '{pattern}' of this bucket, granted on purpose with StudioDomain.grant_*_data"
                },
            )
        return grant

    # --- rendering ---------------------------------------------------------------------------------------

    def _role_of(self, user: str | None) -> iam.IRole:
        if user is None:
            return self.execution_role
        if user not in self.user_profile_roles:
            raise KeyError(
                f"user {user!r} has no role of its own; users with own_role: {sorted(self.user_profile_roles)}"
            )
        return self.user_profile_roles[user]

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

    def _render_security_group(self) -> ec2.SecurityGroup:
        sg = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.vpc,
            description="SageMaker Studio apps: NFS to the home file system, app-to-app, HTTPS out",
            allow_all_outbound=False,
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
        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints of the Studio VPC: HTTPS from the Studio apps only",
            allow_all_outbound=False,
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
        self._kept.append(
            ec2.GatewayVpcEndpoint(self, "S3Endpoint", vpc=self.vpc, service=ec2.GatewayVpcEndpointAwsService.S3)
        )

    def _render_execution_role(
        self, id: str, purpose: str, scope: Construct | None = None, *, role_name: str | None = None
    ) -> PlatformRole:
        stack = cdk.Stack.of(self)
        role = PlatformRole(
            scope if scope is not None else self,
            id,
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"SageMaker Studio {purpose}, scoped to one domain",
        )
        return role

    def _scope_role_to_domain(self, role: iam.IRole, domain_id: str, domain_ref: str) -> None:
        """What Studio needs from an execution role, limited to this domain's apps, spaces and profiles.

        `domain_id` is the domain id as seen from the role's stack, `domain_ref` how cdk-nag renders it.
        """
        stack = cdk.Stack.of(role)
        arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
        log_group = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/sagemaker/studio"
        statements = [
            iam.PolicyStatement(actions=DOMAIN_DESCRIBE_ACTIONS, resources=[f"{arn}:domain/{domain_id}"]),
            iam.PolicyStatement(actions=PROFILE_DESCRIBE_ACTIONS, resources=[f"{arn}:user-profile/{domain_id}/*"]),
            iam.PolicyStatement(actions=APP_ACTIONS, resources=[f"{arn}:app/{domain_id}/*"]),
            iam.PolicyStatement(actions=SPACE_ACTIONS, resources=[f"{arn}:space/{domain_id}/*"]),
            iam.PolicyStatement(actions=LOG_ACTIONS, resources=[log_group, f"{log_group}:*"]),
            iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn]),
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[self.key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
        for statement in statements:
            role.add_to_principal_policy(statement)
        # Acknowledged on the managed policy that holds it: other statements of this role with `Resource: *`
        # (projects, registry lists) are acknowledged there too, which would shadow a role-level one.
        add_statement(role, iam.PolicyStatement(actions=LIST_ACTIONS, resources=["*"]), _LIST_REASON)
        acknowledge(
            role,
            {
                **_domain_wildcard_reasons(stack, domain_ref, with_list=False),
                _wildcard_finding(stack, "logs", "log-group:/aws/sagemaker/studio:*"): "log streams of Studio's "
                "own log group get generated names",
            },
        )

    def _domain_ref(self) -> str:
        """How cdk-nag renders this domain's id in the domain's own stack."""
        return f"<{cdk.Stack.of(self).get_logical_id(self.domain)}.DomainId>"

    def _render_user_settings(
        self,
        role: iam.IRole,
        classic_images: bool | ClassicImages,
        idle_shutdown_minutes: int | None,
        notebook_output_sharing: bool,
    ) -> sagemaker.CfnDomain.UserSettingsProperty:
        jupyter_server = kernel_gateway = None
        if classic_images is not False:
            images = classic_images if isinstance(classic_images, ClassicImages) else ClassicImages()
            jupyter_server = sagemaker.CfnDomain.JupyterServerAppSettingsProperty(
                default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                    instance_type="system", sage_maker_image_arn=self.studio_image_arn(images.jupyter_server)
                )
            )
            kernel_gateway = sagemaker.CfnDomain.KernelGatewayAppSettingsProperty(
                default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                    instance_type=images.kernel_gateway_instance_type,
                    sage_maker_image_arn=self.studio_image_arn(images.kernel_gateway),
                )
            )
        lifecycle = None
        if idle_shutdown_minutes is not None:
            lifecycle = sagemaker.CfnDomain.AppLifecycleManagementProperty(
                idle_settings=sagemaker.CfnDomain.IdleSettingsProperty(
                    lifecycle_management="ENABLED",
                    idle_timeout_in_minutes=idle_shutdown_minutes,
                    min_idle_timeout_in_minutes=60,
                    max_idle_timeout_in_minutes=max(idle_shutdown_minutes, 60),
                )
            )
        if notebook_output_sharing:
            assert self.sharing_bucket is not None
            sharing = sagemaker.CfnDomain.SharingSettingsProperty(
                notebook_output_option="Allowed",
                s3_output_path=self.sharing_bucket.s3_url_for_object(SHARED_NOTEBOOKS_PATTERN.removesuffix("/*")),
                s3_kms_key_id=self.key.key_id,
            )
            self.grant_read_write_data(self.sharing_bucket, SHARED_NOTEBOOKS_PATTERN)
        else:
            sharing = sagemaker.CfnDomain.SharingSettingsProperty(notebook_output_option="Disabled")
        return sagemaker.CfnDomain.UserSettingsProperty(
            execution_role=role.role_arn,
            security_groups=[sg.security_group_id for sg in self.security_groups],
            sharing_settings=sharing,
            jupyter_server_app_settings=jupyter_server,
            kernel_gateway_app_settings=kernel_gateway,
            jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(instance_type="ml.t3.medium"),
                app_lifecycle_management=lifecycle,
            ),
            # Code Editor supports the same idle settings (CodeEditorAppSettings.AppLifecycleManagement).
            code_editor_app_settings=None
            if lifecycle is None
            else sagemaker.CfnDomain.CodeEditorAppSettingsProperty(
                app_lifecycle_management=sagemaker.CfnDomain.AppLifecycleManagementProperty(
                    idle_settings=lifecycle.idle_settings
                )
            ),
            space_storage_settings=sagemaker.CfnDomain.DefaultSpaceStorageSettingsProperty(
                default_ebs_storage_settings=sagemaker.CfnDomain.DefaultEbsStorageSettingsProperty(
                    default_ebs_volume_size_in_gb=5, maximum_ebs_volume_size_in_gb=100
                )
            ),
        )

    def studio_image_arn(self, image: str) -> str:
        """ARN of a SageMaker-published Studio image in this stack's region and partition.

        A concrete region without the image fails here, listing the supported regions; an env-agnostic
        stack resolves the account through a `CfnMapping` at deploy time.
        """
        stack = cdk.Stack.of(self)
        if not cdk.Token.is_unresolved(stack.region) and stack.region not in STUDIO_IMAGE_ACCOUNTS:
            problems = ProblemCollector("StudioDomain")
            problems.add(
                f"classic_images=True: region {stack.region!r} has no SageMaker Studio Classic images; "
                f"supported regions: {', '.join(sorted(STUDIO_IMAGE_ACCOUNTS))}"
            )
            problems.raise_if_any()
        if cdk.Token.is_unresolved(stack.region):
            _studio_region_rule(stack)
        mapping = stack.node.try_find_child("StudioImageAccounts")
        if mapping is None:
            mapping = cdk.CfnMapping(
                stack,
                "StudioImageAccounts",
                mapping={region: {"account": account} for region, account in STUDIO_IMAGE_ACCOUNTS.items()},
            )
        assert isinstance(mapping, cdk.CfnMapping)
        account = mapping.find_in_map(stack.region, "account")
        return f"arn:{stack.partition}:sagemaker:{stack.region}:{account}:image/{image}"

    @staticmethod
    def _validate_images(classic_images: bool | ClassicImages) -> None:
        if not isinstance(classic_images, ClassicImages):
            return
        problems = ProblemCollector("StudioDomain")
        for field_name in ("jupyter_server", "kernel_gateway"):
            value = getattr(classic_images, field_name)
            problems.check(
                bool(_IMAGE_NAME.match(value)),
                f"classic_images.{field_name}={value!r}: must be a SageMaker image name, e.g. datascience-1.0",
            )
        problems.raise_if_any()

    def _render_sharing_bucket(self, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
        access_logs = access_logs_bucket(
            self,
            "SharingAccessLogs",
            of="the notebook sharing bucket",
            removal_policy=removal_policy,
            lifecycle_rules=[ACCESS_LOG_RETENTION],
        )
        return encrypted_bucket(
            self,
            "SharingBucket",
            key=self.key,
            access_logs=access_logs,
            access_logs_prefix="sharing/",
            removal_policy=removal_policy,
            holds="shared notebook snapshots",
            replication="shared notebook snapshots are copies of notebooks kept on the home file system",
            # Snapshots are copies: a replaced or deleted one's old version is kept 30 days.
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireOldVersions", noncurrent_version_expiration=cdk.Duration.days(30))
            ],
        )

    def _render_provider(self, stack: cdk.Stack) -> cr.Provider:
        """The Provider framework behind profile cleanup, domain teardown and projects enablement."""
        functions = {
            phase: PlatformFunction(
                self,
                f"Teardown{phase.title().replace('_', '')}",
                handler_name="studio_teardown",
                key=self._ops_key,
                description=f"Studio domain lifecycle ({phase.replace('_', '-')}): deletes apps, spaces, "
                "profiles, the domain and its file system in order",
                timeout=cdk.Duration.minutes(5),
                environment={"STUDIO_TEARDOWN_PHASE": phase},
            )
            for phase in ("on_event", "is_complete")
        }
        self._teardown_functions = functions
        # Roles of our own (PlatformRole) for the framework functions: their grants land in customer managed
        # policies. Two roles, as the framework expects: one shared role would form a dependency cycle.
        on_event_role = PlatformRole(
            self,
            "ProviderOnEventRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Studio lifecycle Provider framework: onEvent function",
        )
        waiter_role = PlatformRole(
            self,
            "ProviderWaiterRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Studio lifecycle Provider framework: isComplete and onTimeout functions",
        )
        framework_logs = self._render_log_group("ProviderLogs")
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=functions["on_event"].function,
            is_complete_handler=functions["is_complete"].function,
            query_interval=cdk.Duration.seconds(30),
            # Deleting a domain's apps, spaces and profiles, then the domain and its EFS, takes tens of minutes.
            total_timeout=cdk.Duration.hours(2),
            framework_on_event_role=on_event_role,
            framework_complete_and_timeout_role=waiter_role,
            provider_function_env_encryption=self._ops_key,
            log_group=framework_logs,
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=framework_logs, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
        )
        for fn in functions.values():
            self._grant_teardown(fn.role, stack)
        self._acknowledge_provider(provider, on_event_role, waiter_role, functions)
        # Grants land in managed policies that nothing else depends on: without these dependencies,
        # CloudFormation may delete a policy while a teardown is still running under it.
        self._lifecycle_roles: list[IConstruct] = [on_event_role, waiter_role, *(fn.role for fn in functions.values())]
        return provider

    def _acknowledge_provider(
        self,
        provider: cr.Provider,
        on_event_role: iam.IRole,
        waiter_role: iam.IRole,
        functions: dict[str, PlatformFunction],
    ) -> None:
        """The Provider framework's own findings, each on the framework resource that causes it."""
        stack = cdk.Stack.of(self)
        framework = "the CDK Provider framework function"
        for name in ("framework-onEvent", "framework-isComplete", "framework-onTimeout"):
            fn = provider.node.find_child(name)
            acknowledge(
                fn,
                {
                    "HIPAA.Security-LambdaInsideVPC": f"{framework} calls only Lambda and Step Functions APIs",
                    "NIST.800.53.R5-LambdaInsideVPC": f"{framework} calls only Lambda and Step Functions APIs",
                    "HIPAA.Security-LambdaDLQ": f"{framework} is invoked synchronously by CloudFormation and "
                    "Step Functions, which record failures; an async dead-letter queue would never receive",
                    "NIST.800.53.R5-LambdaDLQ": f"{framework} is invoked synchronously by CloudFormation and "
                    "Step Functions, which record failures; an async dead-letter queue would never receive",
                    "HIPAA.Security-LambdaConcurrency": f"{framework}: the handlers it calls have reserved concurrency",
                    "NIST.800.53.R5-LambdaConcurrency": f"{framework}: the handlers it calls have reserved concurrency",
                    f"{CONTROL_TOWER}lambda_inside_vpc_check": f"{framework} calls only Lambda and Step Functions APIs",
                },
            )
        for name in ("framework-onEvent", "framework-isComplete", "framework-onTimeout"):
            skip_checkov(
                provider.node.find_child(name),
                {
                    "CKV_AWS_115": f"{framework}: the handlers it calls have reserved concurrency",
                    "CKV_AWS_116": f"{framework} is invoked synchronously; failures reach CloudFormation",
                    "CKV_AWS_117": f"{framework} calls only Lambda and Step Functions APIs",
                },
            )
        state_machine = provider.node.find_child("waiter-state-machine")
        skip_checkov(
            state_machine.node.find_child("Role").node.find_child("DefaultPolicy"),
            {"CKV_AWS_111": "CloudWatch Logs delivery actions of the state machine's logging support no resource ARNs"},
        )
        framework_fns = [provider.node.find_child(n) for n in ("framework-isComplete", "framework-onTimeout")]
        acknowledge(
            state_machine,
            {
                "AwsSolutions-IAM5[Resource::*]": "CloudWatch Logs delivery actions of the waiter state machine's "
                "logging (logs:CreateLogDelivery, ...) support no resource-level permissions",
                "AwsSolutions-SF2": "the Provider framework's waiter state machine offers no tracing setting; its "
                "Lambda functions and our handlers are traced",
                f"{CONTROL_TOWER}step_functions_state_machine_tracing_enabled_check": "the Provider framework's "
                "waiter state machine offers no tracing setting; its Lambda functions and our handlers are traced",
                "HIPAA.Security-IAMNoInlinePolicy": "the Provider framework creates the waiter state machine's role "
                "and its policy; it accepts no role of ours",
                "NIST.800.53.R5-IAMNoInlinePolicy": "the Provider framework creates the waiter state machine's role "
                "and its policy; it accepts no role of ours",
                **{
                    _invoke_finding(stack, fn): "lambda:InvokeFunction on the versions of the framework's own "
                    "waiter function"
                    for fn in framework_fns
                },
            },
        )

    def _grant_teardown(self, role: iam.IRole, stack: cdk.Stack) -> None:
        arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
        domain_id = self.domain_id
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TEARDOWN_SAGEMAKER_ACTIONS,
                resources=[
                    f"{arn}:domain/{domain_id}",
                    f"{arn}:app/{domain_id}/*",
                    f"{arn}:space/{domain_id}/*",
                    f"{arn}:user-profile/{domain_id}/*",
                ],
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=LIST_ACTIONS, resources=["*"]))
        file_systems = f"arn:{stack.partition}:elasticfilesystem:{stack.region}:{stack.account}:file-system/*"
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=TEARDOWN_EFS_DESCRIBE_ACTIONS, resources=[file_systems])
        )
        # SageMaker tags the home file system it creates with the domain's ARN: only that one can be deleted.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TEARDOWN_EFS_DELETE_ACTIONS,
                resources=[file_systems],
                conditions={"StringEquals": {"aws:ResourceTag/ManagedByAmazonSageMakerResource": self.domain_arn}},
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["ec2:DescribeSecurityGroups"], resources=["*"]))
        acknowledge(
            role,
            {
                **_domain_wildcard_reasons(stack, self._domain_ref()),
                "AwsSolutions-IAM5[Resource::*]": "SageMaker List* and ec2:DescribeSecurityGroups support no "
                "resource-level permissions",
                _wildcard_finding(
                    stack, "elasticfilesystem", "file-system/*"
                ): "the home file system's id is known only once the domain exists; deletion is "
                "limited by the tag SageMaker puts on this domain's file system",
                _wildcard_finding(
                    stack, "ec2", "security-group/*"
                ): "SageMaker's NFS security groups are created at run time; limited to this VPC "
                "by the ec2:Vpc condition, and the handler deletes only the two named for this domain",
            },
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TEARDOWN_SG_ACTIONS,
                resources=[f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:security-group/*"],
                conditions={
                    "StringEquals": {
                        "ec2:Vpc": f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:vpc/{self.vpc.vpc_id}"
                    }
                },
            )
        )

    def _render_profile_shards(self, users: Sequence[StudioUser], shards: int) -> list[cdk.NestedStack]:
        """A nested stack per shard that holds a user, and one profile cleanup over every shard.

        A shard exists only while it holds a user: an empty one would still be a nested stack for
        CloudFormation to create and update. `profile_shard` hashes the name alone, so creating or removing a
        shard never moves another user; each shard keeps its construct id (and so its profiles' logical ids).
        """
        by_shard: dict[int, list[StudioUser]] = {}
        for user in users:
            by_shard.setdefault(profile_shard(user.name, shards), []).append(user)
        nested: list[cdk.NestedStack] = []
        for index in sorted(by_shard):
            parameters = {"DomainId": self.domain_id}
            # Only a shard with roles of its own grants them the shared notebooks (an unused parameter is lint).
            sharing = self._notebook_sharing and any(user.own_role for user in by_shard[index])
            if sharing and self.sharing_bucket is not None:
                parameters["SharingBucketArn"] = self.sharing_bucket.bucket_arn
            shard = cdk.NestedStack(
                self, f"Profiles{index:02d}", description=f"Studio user profiles, shard {index}", parameters=parameters
            )
            # Parameters of our own (not CDK's generated references) so that they read `<DomainId>` and
            # `<SharingBucketArn>` in the shard's acknowledgments.
            domain_id = cdk.CfnParameter(shard, "DomainId", type="String").value_as_string
            shard_sharing_bucket = None
            if sharing:
                shard_sharing_bucket = s3.Bucket.from_bucket_attributes(
                    shard,
                    "SharingBucket",
                    bucket_arn=cdk.CfnParameter(shard, "SharingBucketArn", type="String").value_as_string,
                    encryption_key=self.key,
                )
            for user in sorted(by_shard[index], key=lambda u: u.name):
                self._render_profile(shard, user, domain_id, shard_sharing_bucket)
            nested.append(shard)
        self._render_profile_cleanup(users)
        return nested

    def _render_profile_cleanup(self, users: Sequence[StudioUser]) -> None:
        """One cleanup in this stack, listing every profile: removing a user changes its properties.

        It lives here, not in the shards, so that it outlives them: when the last user of a shard leaves,
        the shard's nested stack is deleted (its profiles are retained), while this resource receives an
        Update whose old properties still name that user, and deletes the user's apps, private spaces and
        profile. Its Delete does nothing (a retained domain keeps its profiles; DESTROY has the teardown).
        Its properties change only when the users do, so a redeploy without a change never invokes it.
        """
        cleanup = cdk.CustomResource(
            self,
            "ProfileCleanup",
            service_token=self.provider.service_token,
            resource_type="Custom::StudioProfileCleanup",
            properties={
                "Kind": "ProfileCleanup",
                "DomainId": self.domain_id,
                "UserProfileNames": sorted(user.name for user in users),
            },
        )
        cleanup.node.add_dependency(*self._lifecycle_roles)

    def _render_profile(
        self, shard: cdk.NestedStack, user: StudioUser, domain_id: str, sharing_bucket: s3.IBucket | None
    ) -> None:
        role: iam.IRole = self.persona_roles[user.persona]
        if user.own_role:
            own = self._render_execution_role(
                f"Role{_construct_suffix(user.name)}", f"execution role of {user.name}", scope=shard
            )
            self._scope_role_to_domain(own, domain_id, "<DomainId>")
            self._kept.append(own)
            self.user_profile_roles[user.name] = own
            if sharing_bucket is not None:
                self.grant_read_write_data(sharing_bucket, SHARED_NOTEBOOKS_PATTERN, user=user.name)
            role = own
        settings = sagemaker.CfnUserProfile.UserSettingsProperty(
            execution_role=role.role_arn,
            security_groups=[sg.security_group_id for sg in self.security_groups],
        )
        profile = sagemaker.CfnUserProfile(
            shard,
            f"Profile{_construct_suffix(user.name)}",
            domain_id=domain_id,
            user_profile_name=user.name,
            user_settings=settings,
            single_sign_on_user_identifier="UserName" if self.auth_mode == "SSO" else None,
            single_sign_on_user_value=(user.sso_user_value or user.name) if self.auth_mode == "SSO" else None,
        )
        # Kept by CloudFormation in every mode: a removed user is deleted by the domain's ProfileCleanup
        # (apps and private spaces first), stack deletion with RETAIN must leave profiles and their spaces,
        # and with DESTROY the domain teardown deletes them.
        profile.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.user_profiles[user.name] = profile

    def _retain_with_domain(self, removal_policy: cdk.RemovalPolicy) -> None:
        """A retained domain keeps what it runs with: its network and its execution roles.

        Deleting the VPC, subnets and groups under a retained domain would fail anyway (its EFS mount targets
        and app ENIs sit in them), leaving the stack in DELETE_FAILED; without its execution roles the
        retained domain and profiles could not start an app. Retained, the domain keeps working.
        """
        for construct in self._kept:
            for child in construct.node.find_all():
                if isinstance(child, cdk.CfnResource):
                    child.apply_removal_policy(removal_policy)

    def _render_domain_teardown(self) -> None:
        teardown = cdk.CustomResource(
            self,
            "DomainTeardown",
            service_token=self.provider.service_token,
            resource_type="Custom::StudioDomainTeardown",
            properties={
                "Kind": "DomainTeardown",
                "DomainId": self.domain_id,
                "HomeEfsFileSystemId": self.domain.attr_home_efs_file_system_id,
                "VpcId": self.vpc.vpc_id,
            },
        )
        # Created after, so deleted before, the profiles' nested stacks and the domain.
        for shard in self.shards:
            teardown.node.add_dependency(shard)
        teardown.node.add_dependency(self.domain, *self._lifecycle_roles)

    def _render_projects(self) -> None:
        stack = cdk.Stack.of(self)
        roles = [*self.persona_roles.values(), *self.user_profile_roles.values()]
        for role in roles:
            role_stack = cdk.Stack.of(role)
            # A user's own projects only: named `<user profile>-...`, the profile being the session's
            # aws:SourceIdentity (the domain's ExecutionRoleIdentityConfig), so a shared persona role
            # still keeps one user off another's projects.
            add_statement(
                role,
                iam.PolicyStatement(
                    actions=PROJECT_ACTIONS,
                    resources=[
                        f"arn:{role_stack.partition}:sagemaker:{role_stack.region}:{role_stack.account}:"
                        f"project/{OWN_PROJECT_PATTERN}"
                    ],
                ),
                "the user's own projects: named with the user's profile name (the session's aws:SourceIdentity) "
                "as prefix, the rest chosen at run time",
            )
            add_statement(
                role,
                iam.PolicyStatement(actions=PROJECT_LIST_ACTIONS, resources=["*"]),
                "ListProjects and the Service Catalog product searches and descriptions behind the Projects "
                "page support no resource-level permissions",
            )
        # A policy of its own, so that the checkov skip for the account-level actions covers nothing else.
        portfolios = f"arn:{stack.partition}:catalog:{stack.region}:*:portfolio/*"
        projects_policy = iam.ManagedPolicy(
            self,
            "ProjectsPolicy",
            description="Enable the SageMaker Projects portfolio and share it with the domain's execution roles",
            statements=[
                iam.PolicyStatement(actions=PROJECTS_ACCOUNT_ACTIONS, resources=["*"]),
                iam.PolicyStatement(actions=PROJECTS_PORTFOLIO_ACTIONS, resources=[portfolios]),
            ],
            roles=[fn.role for fn in self._teardown_functions.values()],
        )
        account_level = "EnableSagemakerServicecatalogPortfolio and its status have no resource type"
        skip_checkov(projects_policy, {"CKV_AWS_111": account_level})
        acknowledge(
            projects_policy,
            {
                "AwsSolutions-IAM5[Resource::*]": account_level,
                f"AwsSolutions-IAM5[Resource::{_nag_render(stack.resolve(portfolios))}]": "the SageMaker portfolio "
                "is shared from an AWS-owned account and gets its id when Projects is enabled",
            },
        )
        projects = cdk.CustomResource(
            self,
            "Projects",
            service_token=self.provider.service_token,
            resource_type="Custom::StudioProjects",
            properties={"Kind": "Projects", "PrincipalArns": [role.role_arn for role in roles]},
        )
        projects.node.add_dependency(projects_policy, *self._lifecycle_roles)

    def _validate(
        self,
        domain_name: str,
        auth_mode: str,
        users: Sequence[StudioUser],
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        idle_shutdown_minutes: int | None,
        profile_shards: int,
    ) -> None:
        problems = ProblemCollector("StudioDomain")
        problems.check(auth_mode in ("IAM", "SSO"), f"auth_mode={auth_mode!r}: allowed: 'IAM', 'SSO'")
        problems.check(
            cdk.Token.is_unresolved(domain_name) or 1 <= len(domain_name) <= 63,
            f"domain_name={domain_name!r}: 1 to 63 characters",
        )
        seen: set[str] = set()
        for user in users:
            problems.check(
                bool(USER_PROFILE_NAME_PATTERN.match(user.name)),
                f"users: {user.name!r} does not match SageMaker's UserProfileName pattern "
                f"{USER_PROFILE_NAME_PATTERN.pattern}",
            )
            problems.check(user.name not in seen, f"users: {user.name!r} appears more than once")
            problems.check(
                user.persona in PERSONAS,
                f"users: {user.name!r} has persona {user.persona!r}; allowed: {list(PERSONAS)}",
            )
            seen.add(user.name)
        problems.check(
            vpc_subnets is None or vpc is not None, "vpc_subnets given without vpc: pass the VPC they belong to"
        )
        problems.check(
            idle_shutdown_minutes is None or 60 <= idle_shutdown_minutes <= 525600,
            f"idle_shutdown_minutes={idle_shutdown_minutes}: allowed: 60 to 525600, or None (off)",
        )
        problems.check(1 <= profile_shards <= 64, f"profile_shards={profile_shards}: allowed: 1 to 64")
        if 1 <= profile_shards <= 64:
            counts: dict[int, int] = {}
            for user in users:
                shard = profile_shard(user.name, profile_shards)
                counts[shard] = counts.get(shard, 0) + (3 if user.own_role else 1)
            fullest = max(counts.values(), default=0)
            problems.check(
                fullest <= _MAX_RESOURCES_PER_SHARD,
                f"users: {len(users)} profiles need {fullest} resources in one of {profile_shards} nested stacks "
                f"(at most {_MAX_RESOURCES_PER_SHARD}); raise profile_shards before the first deployment",
            )
        names_bytes = len(json.dumps(sorted(user.name for user in users)))
        problems.check(
            names_bytes <= _MAX_PROFILE_NAMES_BYTES,
            f"users: {len(users)} profile names take {names_bytes} bytes in the profile cleanup's request "
            f"(at most {_MAX_PROFILE_NAMES_BYTES}: Step Functions takes 256 KiB, old and new names)",
        )
        problems.raise_if_any()


def _studio_region_rule(stack: cdk.Stack) -> None:
    """An env-agnostic stack deploys anywhere: refuse a region without Studio images with a readable message
    before any resource is created (instead of a raw Fn::FindInMap failure on the domain)."""
    if stack.node.try_find_child("StudioImageRegion") is not None:
        return
    supported = sorted(STUDIO_IMAGE_ACCOUNTS)
    rule = cdk.CfnRule(stack, "StudioImageRegion")
    rule.add_assertion(
        cdk.Fn.condition_contains(supported, cdk.Aws.REGION),
        "SageMaker Studio Classic images (studio.classic_images) are published only in these regions: "
        + ", ".join(supported)
        + ". Deploy to one of them, or turn classic_images off.",
    )
