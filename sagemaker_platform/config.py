"""The typed, validated platform config: the contract between cdk.json and the stacks.

The config is read from the `platform` key of the CDK context, or from a JSON or YAML file given
with ``cdk synth -c config=PATH``. It is validated into frozen models; any mistake raises one
`ConfigError` whose message names each bad key, the value given and what is allowed.

Validation goes through JSON in pydantic's strict mode, so ``"60"`` is not silently taken for
``60`` and ``true`` is not taken for ``1``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sagemaker_platform.contracts import names, tuning_spec
from sagemaker_platform.errors import ConfigError
from sagemaker_platform.regions import ALL_REGIONS

CONTEXT_KEY = "platform"
CONFIG_PATH_CONTEXT_KEY = "config"

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# CreateUserProfile's UserProfileName pattern.
USER_PROFILE_NAME_PATTERN = names.NAME_63_RE
PLATFORM_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")


T = TypeVar("T")


def _list_to_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


Items = Annotated[tuple[T, ...], BeforeValidator(_list_to_tuple)]
"""A config list, held as a tuple so that the frozen models stay hashable.

Use `Items[X]`, never a bare `tuple[X, ...]`: strict mode refuses a list for a tuple once a
before-validator has turned the JSON into Python objects.
"""


class StrictModel(BaseModel):
    """Base of every config model: frozen, strict types, unknown keys refused with the allowed list."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = {info.alias or name for name, info in cls.model_fields.items()} | set(cls.model_fields)
            unknown = sorted(str(key) for key in data if key not in allowed)
            if unknown:
                shown = sorted(info.alias or name for name, info in cls.model_fields.items())
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key(s) {unknown}; allowed keys: {allowed}",
                    {"unknown": ", ".join(repr(k) for k in unknown), "allowed": ", ".join(shown)},
                )
        return data


def field_problem(field: str, value: Any, message: str) -> PydanticCustomError:
    """An error for a cross-field check in a model validator, reported at `<model>.<field>`.

    Raise it from a ``model_validator(mode="after")``; `parse_config` reports the value and message.
    """
    return PydanticCustomError("field_problem", "{message}", {"field": field, "value": value, "message": message})


# --- reusable field validators --------------------------------------------------------------


def _account_id(value: str) -> str:
    if not ACCOUNT_ID_PATTERN.match(value):
        raise ValueError("must be a 12-digit AWS account id, e.g. '111111111111'")
    return value


def _region(value: str) -> str:
    if value not in ALL_REGIONS:
        raise ValueError(f"unknown region; allowed: {', '.join(ALL_REGIONS)}")
    return value


def _platform_name(value: str) -> str:
    if not PLATFORM_NAME_PATTERN.match(value):
        raise ValueError(
            "must start with a lowercase letter and contain only lowercase letters, digits and '-', "
            "at most 20 characters"
        )
    return value


def _organization_id(value: str) -> str:
    if not ORGANIZATION_ID_PATTERN.match(value):
        raise ValueError("must be an AWS Organizations id like 'o-a1b2c3d4e5'")
    return value


def _user_profile_name(value: str) -> str:
    if not USER_PROFILE_NAME_PATTERN.match(value):
        raise ValueError(
            f"must match SageMaker's UserProfileName pattern {names.NAME_63} "
            "(letters, digits and inner hyphens, at most 63 characters)"
        )
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
Region = Annotated[str, AfterValidator(_region)]
UserProfileName = Annotated[str, AfterValidator(_user_profile_name)]


# --- accounts -------------------------------------------------------------------------------


class AccountsConfig(StrictModel):
    """The AWS accounts of a multi-account deployment. Omit `accounts` for the single-account sandbox."""

    tooling: AccountId
    registry: AccountId
    dev: AccountId
    staging: AccountId
    prod: AccountId


# --- Studio ---------------------------------------------------------------------------------


class StudioVpcConfig(StrictModel):
    """An existing VPC for the Studio domain. Default (when omitted): a new VPC with the endpoints Studio needs."""

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = ()


StudioPersona = Literal["data-scientist", "approver"]
STUDIO_PERSONAS: tuple[StudioPersona, ...] = ("data-scientist", "approver")


class StudioUserConfig(StrictModel):
    """One Studio user profile. A plain string in `studio.users` is the same as `{name: ...}`."""

    name: UserProfileName
    sso_user_value: str | None = None
    """IAM Identity Center user name (required per user when `studio.auth` is SSO; default: `name`)."""
    own_role: bool = False
    """Give this user an execution role of its own instead of its persona's role."""
    persona: StudioPersona = "data-scientist"
    """What the user does on the platform (README, "Studio personas"): `data-scientist` or `approver`
    (a data scientist who may also approve or reject registry versions)."""

    @model_validator(mode="before")
    @classmethod
    def _from_plain_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


SAGEMAKER_IMAGE_NAME_PATTERN = names.IMAGE_NAME


class StudioClassicImagesConfig(StrictModel):
    """`studio.classic_images` as a mapping: which SageMaker-published images Studio Classic apps start with."""

    jupyter_server: Annotated[str, Field(pattern=SAGEMAKER_IMAGE_NAME_PATTERN)] = "jupyter-server-3"
    kernel_gateway: Annotated[str, Field(pattern=SAGEMAKER_IMAGE_NAME_PATTERN)] = "datascience-1.0"
    kernel_gateway_instance_type: Annotated[str, Field(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")] = "ml.t3.medium"


def _classic_images(value: Any) -> Any:
    # `true` means the default images, `false` none; a mapping picks the images (one error path, not a union's two).
    if value is True:
        return {}
    if value is False:
        return None
    return value


class StudioConfig(StrictModel):
    """`studio`: the SageMaker Studio domain and its user profiles."""

    auth: Literal["IAM", "SSO"] = "IAM"
    users: Items[StudioUserConfig] = ()
    idle_shutdown_minutes: Annotated[int, Field(ge=60, le=525600)] | None = 60
    notebook_output_sharing: bool = False
    enable_projects: bool = False
    classic_images: Annotated[StudioClassicImagesConfig | None, BeforeValidator(_classic_images)] = None
    """Set Studio Classic's JupyterServer (`jupyter-server-3`) and KernelGateway (`datascience-1.0`) default
    images, resolved per region and partition; a mapping picks other SageMaker images, e.g.
    `{kernel_gateway: sagemaker-data-science-310-v1}`. Default: off, leaving Studio's own default images."""
    removal_policy: Literal["retain", "destroy"] = "retain"
    vpc: StudioVpcConfig | None = None

    @model_validator(mode="after")
    def _unique_users(self) -> StudioConfig:
        seen: set[str] = set()
        for user in self.users:
            if user.name in seen:
                raise field_problem("users", user.name, "duplicate user: each user profile name must appear once")
            seen.add(user.name)
        return self


# --- model registry -------------------------------------------------------------------------

# CreateModelPackageGroup's ModelPackageGroupName pattern.
MODEL_PACKAGE_GROUP_NAME_PATTERN = names.NAME_63_RE
# IAM's RoleName pattern.
IAM_ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")

WorkloadAccountRole = Literal["dev", "staging", "prod"]
WORKLOAD_ACCOUNT_ROLES: tuple[WorkloadAccountRole, ...] = ("dev", "staging", "prod")


def _model_package_group_name(value: str) -> str:
    if not MODEL_PACKAGE_GROUP_NAME_PATTERN.match(value):
        raise ValueError(
            f"must match SageMaker's ModelPackageGroupName pattern {names.NAME_63} "
            "(letters, digits and inner hyphens, at most 63 characters)"
        )
    return value


def _iam_role_name(value: str) -> str:
    if not IAM_ROLE_NAME_PATTERN.match(value):
        raise ValueError("must be an IAM role name: 1-64 of letters, digits and +=,.@_-")
    return value


ModelPackageGroupName = Annotated[str, AfterValidator(_model_package_group_name)]
IamRoleName = Annotated[str, AfterValidator(_iam_role_name)]


class RegistryRoleConfig(StrictModel):
    """A named role of one of the platform's accounts (never an account root)."""

    account: Literal["tooling", "registry", "dev", "staging", "prod"]
    """The account role (from `accounts`) the role lives in; in the sandbox, the one account."""
    role_name: IamRoleName


class RegistryConfig(StrictModel):
    """`registry`: the central model registry, its artifacts bucket and the workload accounts' access to it."""

    model_package_groups: Annotated[Items[ModelPackageGroupName], Field(min_length=1)]
    register_from: Annotated[Items[WorkloadAccountRole], Field(min_length=1)] = ("dev",)
    """Workload accounts whose pipeline-step role may register versions and whose roles may write artifacts."""
    approvers: Items[RegistryRoleConfig] = ()
    """Roles that may approve or reject versions (and describe them); no artifact access."""
    readers: Items[RegistryRoleConfig] = ()
    """More roles that may describe versions and read their artifacts, e.g. an endpoint's execution role
    created outside the platform. The platform's own endpoint roles are added from `endpoints`."""

    @model_validator(mode="after")
    def _unique_entries(self) -> RegistryConfig:
        for field, values in (
            ("model_package_groups", [name.lower() for name in self.model_package_groups]),
            ("register_from", list(self.register_from)),
            ("approvers", [f"{a.account}/{a.role_name}" for a in self.approvers]),
            ("readers", [f"{r.account}/{r.role_name}" for r in self.readers]),
        ):
            seen: set[str] = set()
            for value in values:
                if value in seen:
                    raise field_problem(
                        field, value, "duplicate entry: each value must appear once (names ignore case)"
                    )
                seen.add(value)
        return self


# --- GPU endpoint hosting -------------------------------------------------------------------

ENDPOINT_NAME_PATTERN = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$"
MODEL_PACKAGE_ARN_PATTERN = r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[a-zA-Z0-9-]{1,63}/\d+$"


def _endpoint_entry_name(value: str) -> str:
    # <platform>-endpoint-<name>-<stage> must fit IAM's 64 characters with a 20-character platform name.
    if len(value) > 24 or not ENDPOINT_NAME_PATTERN.match(value):
        raise ValueError("must be 1-24 lowercase letters, digits and single inner hyphens, e.g. 'churn-async'")
    return value


class EndpointDlcImageConfig(StrictModel):
    """An AWS Deep Learning Container by repository and tag, resolved per region and partition."""

    repository: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]{0,255}$")]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    account: AccountId | None = None
    """Registry account override. Default: the DLC registry of the region."""


class EndpointPlatformImageConfig(StrictModel):
    """`endpoints[].image: {platform_repository, tag}`: an image in one of the platform's own ECR repositories
    (`images.repositories`); the endpoint's role is let in by the repository policy and its own policy."""

    platform_repository: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$", max_length=100)]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]


class EndpointAsyncConfig(StrictModel):
    """`endpoints[].async`: asynchronous inference settings (mode async only)."""

    max_concurrent_invocations_per_instance: Annotated[int, Field(ge=1, le=1000)] | None = None
    invocation_timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = 900
    backlog_per_instance_target: Annotated[float, Field(gt=0)] = 5.0


class EndpointServerlessConfig(StrictModel):
    """`endpoints[].serverless`: serverless sizing (mode serverless only)."""

    memory_size_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: Annotated[int, Field(ge=1, le=200)] = 5
    provisioned_concurrency: Annotated[int, Field(ge=1, le=200)] | None = None

    @model_validator(mode="after")
    def _provisioned_within_max(self) -> EndpointServerlessConfig:
        if self.provisioned_concurrency is not None and self.provisioned_concurrency > self.max_concurrency:
            raise field_problem(
                "provisioned_concurrency",
                self.provisioned_concurrency,
                f"must be <= max_concurrency ({self.max_concurrency})",
            )
        return self


class EndpointDeploymentConfig(StrictModel):
    """`endpoints[].deployment`: blue/green guardrails with auto-rollback on the endpoint's alarms."""

    traffic_routing: Literal["CANARY", "LINEAR", "ALL_AT_ONCE"] = "CANARY"
    step_percent: Annotated[int, Field(ge=1, le=99)] = 10
    wait_seconds: Annotated[int, Field(ge=0, le=3600)] = 600
    termination_wait_seconds: Annotated[int, Field(ge=0, le=3600)] = 600


class EndpointAlarmsConfig(StrictModel):
    """`endpoints[].alarms`: alarm thresholds."""

    latency_p99_ms: Annotated[int, Field(ge=1)] = 10_000
    errors_5xx: Annotated[int, Field(ge=1)] = 5
    gpu_memory_percent: Annotated[float, Field(gt=0, le=100)] = 90.0
    backlog_age_seconds: Annotated[int, Field(ge=60)] | None = None


class EndpointVpcConfig(StrictModel):
    """`endpoints[].vpc`: subnets and security groups of the model containers."""

    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Annotated[Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]], Field(min_length=1)]


class EndpointConfig(StrictModel):
    """One `endpoints` entry: a SageMaker endpoint per stage (staging, prod).

    The model is exactly one of `model_package_arn` (a pinned registry version, deployed by the hosting
    stack), `image` + `model_data_url` (deployed by the hosting stack) or `model_package_group` (each
    approved version deployed by the deploy pipeline with these settings).
    """

    name: Annotated[str, AfterValidator(_endpoint_entry_name)]
    mode: Literal["realtime", "async", "multi-model", "serverless"] = "realtime"
    model_package_arn: Annotated[str, Field(pattern=MODEL_PACKAGE_ARN_PATTERN)] | None = None
    model_package_group: Annotated[str, Field(pattern=names.NAME_63)] | None = None
    image: Annotated[str, Field(min_length=1)] | EndpointDlcImageConfig | EndpointPlatformImageConfig | None = None
    """A full image URI, or `{repository, tag, account?}` for an AWS Deep Learning Container."""
    model_data_url: Annotated[str, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*$")] | None = None
    """`s3://.../model.tar.gz`, or an uncompressed prefix ending in `/` (multi-model: the models' prefix)."""
    model_artifacts_bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = None
    """The registry's artifacts bucket, readable by the endpoint role (model packages and groups)."""
    model_artifacts_key_arn: Annotated[str, Field(pattern=KMS_KEY_ARN_PATTERN)] | None = None
    instance_type: Annotated[str, Field(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")] | None = None
    min_instances: Annotated[int, Field(ge=0)] = 1
    max_instances: Annotated[int, Field(ge=1)] = 1
    initial_instances: Annotated[int, Field(ge=1)] | None = None
    max_rps_per_instance: Annotated[float, Field(gt=0)] | None = None
    safety_factor: Annotated[float, Field(gt=0, le=1)] = 0.5
    gpu_utilization_target: Annotated[float, Field(ge=1, le=100)] | None = None
    volume_size_gb: Annotated[int, Field(ge=1, le=512)] | None = None
    model_data_download_timeout_seconds: Annotated[int, Field(ge=60, le=3600)] | None = None
    container_startup_health_check_timeout_seconds: Annotated[int, Field(ge=60, le=3600)] | None = None
    async_: Annotated[EndpointAsyncConfig | None, Field(alias="async")] = None
    serverless: EndpointServerlessConfig | None = None
    data_capture_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    """Capture this share of requests and responses to S3 (KMS). Default: no capture."""
    deployment: EndpointDeploymentConfig | None = None
    alarms: EndpointAlarmsConfig = EndpointAlarmsConfig()
    vpc: EndpointVpcConfig | None = None
    network_isolation: bool = True
    """Default: on (no network for the container); off for containers that download at start."""

    @model_validator(mode="after")
    def _one_model_source(self) -> EndpointConfig:
        given = [
            key
            for key, value in (
                ("model_package_arn", self.model_package_arn),
                ("image", self.image),
                ("model_package_group", self.model_package_group),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise field_problem(
                "model",
                given,
                "give exactly one of model_package_arn, image (+ model_data_url), model_package_group",
            )
        if self.model_data_url is not None and self.image is None:
            raise field_problem("model_data_url", self.model_data_url, "allowed only together with image")
        if self.async_ is not None and self.mode != "async":
            raise field_problem("async", self.mode, "async settings are allowed only with mode: async")
        if self.serverless is not None and self.mode != "serverless":
            raise field_problem("serverless", self.mode, "serverless settings are allowed only with mode: serverless")
        if self.mode != "serverless" and self.instance_type is None:
            raise field_problem("instance_type", None, f"required for mode: {self.mode}")
        if self.min_instances > self.max_instances:
            raise field_problem("min_instances", self.min_instances, f"must be <= max_instances ({self.max_instances})")
        return self


def pinned_package_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, group) of a `model_package_arn` (already validated by MODEL_PACKAGE_ARN_PATTERN)."""
    _, _, _, region, account, resource = arn.split(":", 5)
    return region, account, resource.split("/")[1]


def _unique_endpoint_names(endpoints: tuple[EndpointConfig, ...]) -> tuple[EndpointConfig, ...]:
    names = [endpoint.name for endpoint in endpoints]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate endpoint name(s) {duplicates}: each name must appear once")
    return endpoints


# --- warm-pool tuning -----------------------------------------------------------------------


def _tuning_spec(value: Any) -> Any:
    """One `tuning` entry, validated by the same code that validates run-time specs (`tuning_spec`)."""
    try:
        return tuning_spec.parse_spec(value)
    except tuning_spec.SpecError as exc:
        # One error per problem, each reported at `tuning[i].<key inside the spec>`.
        raise ValidationError.from_exception_data(
            "TuningSpec",
            [
                {
                    "type": PydanticCustomError(
                        "field_problem",
                        "{message}",
                        {"field": problem.path, "value": problem.value, "message": problem.message},
                    ),
                    "loc": (),
                    "input": value,
                }
                for problem in exc.problems
            ],
        ) from None


def _unique_tuning_names(specs: tuple[Any, ...]) -> tuple[Any, ...]:
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise field_problem("name", duplicates, "duplicate tuning spec name(s): each name must appear once")
    return specs


TuningSpecConfig = Annotated[Any, BeforeValidator(_tuning_spec)]
"""A `tuning` entry: a `tuning_spec.TuningSpec` (keys and rules in the README's Warm-pool tuning section)."""
TuningSpecs = Annotated[Items[TuningSpecConfig], AfterValidator(_unique_tuning_names)]


class TuningLauncherConfig(StrictModel):
    """`tuning_launcher`: the queue-fed launcher of many small training jobs (warm pools between them)."""

    image: str
    instance_type: Annotated[str, Field(pattern=tuning_spec.INSTANCE_TYPE_PATTERN.pattern)] = "ml.m5.large"
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    volume_size_gb: Annotated[int, Field(ge=1, le=16384)] = 30
    max_run_seconds: Annotated[int, Field(ge=1, le=2419200)] = 3600
    keep_alive_seconds: Annotated[int, Field(ge=0, le=3600)] = 1800
    requests_per_second: Annotated[float, Field(gt=0, le=1)] = 1.0
    max_concurrency: Annotated[int, Field(ge=2, le=10)] = 2

    @model_validator(mode="after")
    def _known_image(self) -> TuningLauncherConfig:
        problem = tuning_spec.image_problem(self.image)
        if problem is not None:
            raise field_problem("image", self.image, problem)
        # Returned: an "after" validator that returns None turns the whole section into None.
        return self


# --- delivery: CDK Pipelines ---------------------------------------------------------------

CONNECTION_ARN_PATTERN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
# CodeCommit repository names; "owner/name" (GitHub) or "group[/subgroup]/name" (GitLab) for connections.
CODECOMMIT_REPOSITORY_PATTERN = re.compile(r"^[\w.-]{1,100}$")
CONNECTION_REPOSITORY_PATTERN = re.compile(r"^[\w.-]+(/[\w.-]+)+$")
# Segments of letters, digits, `_`, `.`, `-` separated by single `/` (git check-ref-format, simplified).
GIT_BRANCH_PATTERN = re.compile(r"^[\w-][\w.-]*(/[\w-][\w.-]*)*$")


class PipelineConfig(StrictModel):
    """`pipeline`: the CDK Pipelines stack in the tooling account that deploys every account's stacks.

    Only valid with `accounts`. Source: a CodeStar (CodeConnections) connection to GitHub or GitLab,
    or a CodeCommit repository.
    """

    source: Literal["connection", "codecommit"]
    repository: Annotated[str, Field(min_length=1, max_length=200)]
    """`owner/name` (GitHub) or `group/name` (GitLab) for a connection; the repository name for CodeCommit."""
    branch: Annotated[str, Field(pattern=GIT_BRANCH_PATTERN.pattern)] = "main"
    connection_arn: str | None = None
    """The CodeStar connection's ARN (required for `source: connection`, refused for CodeCommit)."""
    config_file: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """This config's path in the repository, passed to synth as `-c config=...`. Default: cdk.json's `platform`."""
    diff_base: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Git ref the pipeline's synth-and-diff compares with. Default: the last commit the pipeline deployed."""

    @model_validator(mode="after")
    def _source_settings(self) -> PipelineConfig:
        if self.source == "connection":
            if self.connection_arn is None:
                raise field_problem("connection_arn", None, "required when `source` is `connection`")
            if not CONNECTION_ARN_PATTERN.match(self.connection_arn):
                raise field_problem(
                    "connection_arn",
                    self.connection_arn,
                    "must be a connection ARN like arn:aws:codeconnections:<region>:<account>:connection/<uuid>",
                )
            if not CONNECTION_REPOSITORY_PATTERN.match(self.repository):
                raise field_problem("repository", self.repository, "must be `owner/name` (or `group/subgroup/name`)")
        else:
            if self.connection_arn is not None:
                raise field_problem("connection_arn", self.connection_arn, "only valid with `source: connection`")
            if not CODECOMMIT_REPOSITORY_PATTERN.match(self.repository):
                raise field_problem(
                    "repository", self.repository, "must be a CodeCommit repository name (letters, digits, . _ -)"
                )
        return self


# --- inference gateway ------------------------------------------------------------------------

GATEWAY_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
GATEWAY_SOURCE_PATTERN = re.compile(r"^(request|[a-z][a-z0-9-]{0,39}(\.[A-Za-z0-9_-]{1,64})?)$")
GATEWAY_FIELD_PATTERN = re.compile(r"^(\$|[A-Za-z0-9_-]{1,64})$")


def _gateway_name(value: str) -> str:
    if not GATEWAY_NAME_PATTERN.match(value):
        raise ValueError("must start with a lowercase letter; lowercase letters, digits and '-', at most 40 characters")
    return value


GatewayName = Annotated[str, AfterValidator(_gateway_name)]


class GatewayServiceConfig(StrictModel):
    """`gateway.services[]`: one model endpoint served by the gateway (an `endpoints` entry, prod stage)."""

    name: GatewayName
    endpoint: GatewayName
    """Name of the `endpoints` entry; the SageMaker endpoint is `naming.endpoint_name(name, endpoint, "prod")`."""
    kind: Literal["async", "realtime"]
    content_type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+(;.{1,200})?$")] = "application/json"
    """Content type sent to the endpoint when the request names none."""


def _mapping_to_inputs(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple({"field": field, "source": source} for field, source in value.items())
    return _list_to_tuple(value)


class EnsembleInputConfig(StrictModel):
    """One input of an ensemble step: `field` of the step's input document <- `source`."""

    field: Annotated[str, Field(pattern=GATEWAY_FIELD_PATTERN.pattern)]
    source: Annotated[str, Field(pattern=GATEWAY_SOURCE_PATTERN.pattern)]
    """`request`, `<step>` (its whole output) or `<step>.<field>` (one top-level field of its JSON output)."""


class EnsembleStepConfig(StrictModel):
    """One step of an ensemble: a service (or a nested ensemble) and its input mapping."""

    name: GatewayName
    service: GatewayName
    inputs: Annotated[tuple[EnsembleInputConfig, ...], BeforeValidator(_mapping_to_inputs), Field(min_length=1)]
    """Mapping `{field: source}`; `{"$": source}` passes one source through unchanged."""


class EnsembleConfig(StrictModel):
    """`gateway.ensembles[]`: a DAG of services run as one Step Functions state machine."""

    name: GatewayName
    steps: Annotated[Items[EnsembleStepConfig], Field(min_length=1)]
    output: GatewayName | None = None
    """Step whose output is the ensemble's output. Default: the last step."""

    @property
    def output_step(self) -> str:
        return self.output if self.output is not None else self.steps[-1].name


class GatewayThrottlingConfig(StrictModel):
    """API Gateway stage throttling (requests per second, steady and burst)."""

    rate_limit: Annotated[int, Field(ge=1, le=10000)] = 50
    burst_limit: Annotated[int, Field(ge=1, le=5000)] = 100


class GatewayConfig(StrictModel):
    """`gateway`: the asynchronous inference gateway (prod account) over endpoints and ensembles."""

    services: Items[GatewayServiceConfig] = ()
    ensembles: Items[EnsembleConfig] = ()
    throttling: GatewayThrottlingConfig = GatewayThrottlingConfig()
    input_timeout_minutes: Annotated[int, Field(ge=1, le=720)] = 15
    """How long a request waits for its input upload before it expires (and its upload URL lapses)."""
    step_timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    """How long an ensemble step waits for its intermediate prediction before the ensemble fails."""
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """How long records (DynamoDB TTL), inputs and outputs (S3 lifecycle) are kept."""
    max_receive_count: Annotated[int, Field(ge=1, le=100)] = 5
    """Deliveries of a queue message before it moves to the dead-letter queue."""
    webhook_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    concurrency: Annotated[int, Field(ge=1, le=1000)] = 10
    """Reserved concurrency of each gateway function."""
    waf: bool = True
    """Put an AWS WAF web ACL (rate limit, known bad inputs) in front of the API."""
    removal_policy: Literal["retain", "destroy"] = "retain"

    @model_validator(mode="after")
    def _graph(self) -> GatewayConfig:
        from sagemaker_platform.ensembles import graph_problems

        names = [service.name for service in self.services]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise field_problem("services", duplicates, "duplicate service name(s): each name must appear once")
        ensemble_names = [ensemble.name for ensemble in self.ensembles]
        duplicates = sorted({name for name in ensemble_names if ensemble_names.count(name) > 1})
        if duplicates:
            raise field_problem("ensembles", duplicates, "duplicate ensemble name(s): each name must appear once")
        problems = graph_problems(names, [gateway_ensemble_spec(ensemble) for ensemble in self.ensembles])
        if problems:
            raise field_problem("ensembles", ensemble_names, "; ".join(problems))
        if not self.services:
            raise field_problem("services", [], "declare at least one service for the gateway to serve")
        return self

    @property
    def endpoint_names(self) -> frozenset[str]:
        """Names of the `endpoints` entries this gateway uses."""
        return frozenset(service.endpoint for service in self.services)


def gateway_ensemble_spec(ensemble: EnsembleConfig) -> Any:
    """The `ensembles.EnsembleSpec` of a config entry (graph checks and state machine layout)."""
    from sagemaker_platform.ensembles import EnsembleSpec, StepSpec

    return EnsembleSpec(
        name=ensemble.name,
        steps=tuple(
            StepSpec(step.name, step.service, tuple((i.field, i.source) for i in step.inputs))
            for step in ensemble.steps
        ),
        output=ensemble.output_step,
    )


def check_gateway_endpoints(gateway: GatewayConfig, known_endpoints: Collection[str]) -> None:
    """Raise a `field_problem` if a gateway service names an endpoint missing from `known_endpoints`.

    For the `PlatformConfig` validator that has the `endpoints` list (GPU endpoint hosting).
    """
    unknown = sorted(gateway.endpoint_names - set(known_endpoints))
    if unknown:
        raise field_problem(
            "gateway.services",
            unknown,
            f"unknown endpoint(s) {', '.join(unknown)}: each gateway service must name an `endpoints` entry; "
            f"known endpoints: {', '.join(sorted(known_endpoints)) or '(none)'}",
        )


# --- deploy on approval ---------------------------------------------------------------------

DEPLOY_GROUP_NAME_PATTERN = names.NAME_63_RE
ENDPOINT_ENTRY_NAME_PATTERN = re.compile(names.name_pattern(41))
SAGEMAKER_PIPELINE_NAME_PATTERN = re.compile(names.PIPELINE_NAME)
# EventBridge Scheduler's ScheduleExpression: at(...), rate(...) or cron(...).
SCHEDULE_EXPRESSION_PATTERN = re.compile(
    r"^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _pattern(pattern: re.Pattern[str], allowed: str) -> Any:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {allowed}")
        return value

    return AfterValidator(check)


DeployGroupName = Annotated[
    str,
    _pattern(
        DEPLOY_GROUP_NAME_PATTERN,
        "a model package group name: letters, digits and inner hyphens, at most 63 characters",
    ),
]
EndpointEntryName = Annotated[
    str,
    _pattern(
        ENDPOINT_ENTRY_NAME_PATTERN,
        "the name of an `endpoints` entry: letters, digits and inner hyphens, at most 41 characters",
    ),
]
SageMakerPipelineName = Annotated[
    str, _pattern(SAGEMAKER_PIPELINE_NAME_PATTERN, "a SageMaker pipeline name: letters, digits and inner hyphens")
]


class DeploySmokeTestConfig(StrictModel):
    """The request the pipeline sends to the staging endpoint once it is InService, and what must come back.

    The payload travels in the Lambda environment (4 KB in all), so it is at most 1024 characters.

    Real-time, serverless and multi-model endpoints are invoked with `InvokeEndpoint`; asynchronous
    endpoints take their input from S3, so their smoke test is recorded as skipped.
    """

    payload: Annotated[str, Field(min_length=1, max_length=1024)]
    content_type: Annotated[str, Field(min_length=1, max_length=1024)] = "application/json"
    accept: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    target_model: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    """For multi-model endpoints: the model artifact (relative S3 key) to invoke."""
    expect_contains: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """A substring the response body must contain. Default: any successful response passes."""


class DeployGroupConfig(StrictModel):
    """One model package group whose approved versions are deployed to the named `endpoints` entries."""

    model_package_group: DeployGroupName
    endpoints: Annotated[Items[EndpointEntryName], Field(min_length=1, max_length=10)]
    smoke_test: DeploySmokeTestConfig | None = None
    rollback_on_reject: bool = True
    """Rejecting a deployed version redeploys the previous deployed version of the group."""

    @model_validator(mode="after")
    def _unique_endpoints(self) -> DeployGroupConfig:
        if len(set(self.endpoints)) != len(self.endpoints):
            raise field_problem("endpoints", list(self.endpoints), "each endpoint may be listed once")
        return self


class DeployGitLabConfig(StrictModel):
    """Also trigger a GitLab pipeline on approval (pipeline trigger token read from Secrets Manager)."""

    url: Annotated[str, Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")]
    project_id: Annotated[int, Field(ge=1)]
    ref: Annotated[str, Field(min_length=1, max_length=255)] = "main"
    token_secret_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")]
    fire_on: Literal["approved", "deployed"] = "approved"
    """`approved`: when the version is approved (in parallel with the deployment); `deployed`: once prod is
    deployed (the pipeline's Deployment Succeeded event). Default: approved."""
    vpc: DeployTriggerVpcConfig | None = None
    """Run the trigger inside a VPC, for a self-managed GitLab reachable only privately. Default: not in a VPC."""


class DeployTriggerVpcConfig(StrictModel):
    """`deploy.gitlab.vpc`: subnets (with a route to GitLab) and security groups (HTTPS out to it)."""

    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Annotated[Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]], Field(min_length=1)]


class DeployMwaaConfig(StrictModel):
    """Also trigger an Airflow DAG on Amazon MWAA on approval."""

    environment_name: Annotated[str, Field(pattern=r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")]
    dag_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,250}$")]
    fire_on: Literal["approved", "deployed"] = "approved"
    """`approved` or `deployed` (once prod is deployed). Default: approved."""


class PipelineScheduleConfig(StrictModel):
    """A SageMaker pipeline run on a schedule, optionally retrained when it fails."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
    account: Literal["dev", "staging", "prod"] = "prod"
    """Account role where the pipeline lives (the schedule and the failure rule live beside it)."""
    pipeline_name: SageMakerPipelineName
    schedule_expression: Annotated[
        str,
        _pattern(
            SCHEDULE_EXPRESSION_PATTERN, "an EventBridge Scheduler expression: at(...), rate(N unit) or cron(...)"
        ),
    ]
    timezone: Annotated[str, Field(min_length=1, max_length=50)] = "UTC"
    retrain_pipeline_name: SageMakerPipelineName | None = None
    """Started when a run of `pipeline_name` fails. Default: no retraining."""


class DeployConfig(StrictModel):
    """`deploy`: deploy approved model packages to staging, test, wait for approval, deploy to prod."""

    groups: Annotated[Items[DeployGroupConfig], Field(min_length=1)]
    state_machine: bool = True
    """Run the Step Functions deployment. Turn off to use only the GitLab or MWAA triggers."""
    approval_timeout_hours: Annotated[int, Field(ge=1, le=8760)] = 72
    poll_interval_seconds: Annotated[int, Field(ge=10, le=600)] = 30
    deploy_timeout_minutes: Annotated[int, Field(ge=10, le=1440)] = 90
    notification_emails: Items[Annotated[str, _pattern(EMAIL_PATTERN, "an e-mail address")]] = ()
    gitlab: DeployGitLabConfig | None = None
    mwaa: DeployMwaaConfig | None = None
    schedules: Items[PipelineScheduleConfig] = ()

    @model_validator(mode="after")
    def _consistent(self) -> DeployConfig:
        groups = [group.model_package_group for group in self.groups]
        for group in groups:
            if groups.count(group) > 1:
                raise field_problem("groups", group, "each model package group may be listed once")
        if not self.state_machine and self.gitlab is None and self.mwaa is None:
            raise field_problem(
                "state_machine",
                False,
                "with the state machine off, configure `gitlab` or `mwaa` (something must deploy)",
            )
        names = [schedule.name for schedule in self.schedules]
        for name in names:
            if names.count(name) > 1:
                raise field_problem("schedules", name, "each schedule name may be used once")
        for key, trigger in (("gitlab", self.gitlab), ("mwaa", self.mwaa)):
            if trigger is not None and trigger.fire_on == "deployed" and not self.state_machine:
                raise field_problem(
                    f"{key}.fire_on",
                    "deployed",
                    "needs state_machine: true (only the deploy state machine announces a deployment); allowed: "
                    "approved",
                )
        return self


# --- bring your own code: instance types, container images, CI identities (issue 16) --------------


class InstanceTypeConfig(StrictModel):
    """`instance_types[]`: a SageMaker instance type the built-in hosting catalog does not know.

    Validated like a catalog entry (multi-model, serverless, NVMe and GPU-scaling rules use these figures).
    """

    name: Annotated[str, Field(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")]
    vcpus: Annotated[int, Field(ge=1, le=4096)]
    memory_gib: Annotated[int, Field(ge=1, le=65536)]
    accelerator_family: Literal["gpu", "inferentia", "trainium"] | None = None
    """Default: none (a CPU type)."""
    accelerator: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """The accelerator model, e.g. `NVIDIA B200`. Default: none."""
    accelerator_count: Annotated[int, Field(ge=0, le=64)] = 0
    accelerator_memory_gib: Annotated[int, Field(ge=0, le=65536)] = 0
    """Total accelerator memory of the instance (all GPUs or Neuron devices together)."""
    local_nvme_gb: Annotated[int, Field(ge=0, le=1_000_000)] = 0

    @model_validator(mode="after")
    def _consistent(self) -> InstanceTypeConfig:
        if self.accelerator_family is None and (self.accelerator_count or self.accelerator_memory_gib):
            raise field_problem(
                "accelerator_family",
                None,
                "required when accelerator_count or accelerator_memory_gib is set; allowed: gpu, inferentia, trainium",
            )
        if self.accelerator_family is not None and (self.accelerator_count < 1 or self.accelerator_memory_gib < 1):
            raise field_problem(
                "accelerator_count",
                self.accelerator_count,
                f"accelerator_family {self.accelerator_family} needs accelerator_count >= 1 and "
                "accelerator_memory_gib >= 1",
            )
        return self


ImageAccountRole = Literal["tooling", "registry"]
ImagePuller = Literal["endpoints", "training", "pipeline"]
ECR_REPOSITORY_NAME_PATTERN = r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$"


class ImageRepositoryConfig(StrictModel):
    """`images.repositories[]`: one ECR repository, `<platform>/<name>`."""

    name: Annotated[str, Field(pattern=ECR_REPOSITORY_NAME_PATTERN, max_length=100)]
    pull_accounts: Annotated[Items[WorkloadAccountRole], Field(min_length=1)] = ("dev", "staging", "prod")
    """Workload accounts whose named roles may pull. Default: dev, staging and prod."""
    pullers: Annotated[Items[ImagePuller], Field(min_length=1)] = ("endpoints", "training", "pipeline")
    """Which named roles of those accounts pull: `endpoints` (the execution roles of the `endpoints` entries
    that name this repository), `training` (`<name>-sagemaker-execution`), `pipeline` (`<name>-pipeline-step`).
    Default: all three."""
    keep_tagged: Annotated[int, Field(ge=1, le=10000)] = 100
    """Lifecycle: the newest tagged images kept. Default: 100."""
    untagged_days: Annotated[int, Field(ge=1, le=3650)] = 7
    """Lifecycle: untagged images (layers of overwritten builds) expire after these days. Default: 7."""


class ImagesConfig(StrictModel):
    """`images`: the platform's ECR repositories for custom training and inference images."""

    account: ImageAccountRole = "tooling"
    """Where the repositories live. Default: tooling (deployed first, with the deploy identities)."""
    repositories: Annotated[Items[ImageRepositoryConfig], Field(min_length=1)]
    removal_policy: Literal["retain", "destroy"] = "retain"

    @model_validator(mode="after")
    def _unique(self) -> ImagesConfig:
        names = [repo.name for repo in self.repositories]
        for name in names:
            if names.count(name) > 1:
                raise field_problem("repositories", name, "each repository name may be used once")
        return self


GIT_REF_PATTERN = r"^[A-Za-z0-9._/-]{1,255}$"
OIDC_PROVIDER_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/[A-Za-z0-9._/-]+$"


class CiGitLabProjectConfig(StrictModel):
    """`ci.gitlab.projects[]`: a GitLab project whose CI jobs may assume the GitLab CI role."""

    path: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", max_length=255)]
    """`group/project` (or `group/subgroup/project`)."""
    branches: Annotated[Items[Annotated[str, Field(pattern=GIT_REF_PATTERN)]], Field(min_length=1)] = ("main",)
    """Protected branches whose jobs may assume the role (the `sub` claim's `ref_type:branch:ref:`). Default: main."""


class CiGitLabConfig(StrictModel):
    """`ci.gitlab`: GitLab CI/CD (gitlab.com or self-managed) as an IAM OIDC identity provider."""

    url: Annotated[str, Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")] = "https://gitlab.com"
    """The GitLab instance (its `iss` claim). Default: https://gitlab.com."""
    audience: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """The `aud` the jobs' `id_tokens` ask for. Default: the URL."""
    projects: Annotated[Items[CiGitLabProjectConfig], Field(min_length=1)]
    existing_provider_arn: Annotated[str, Field(pattern=OIDC_PROVIDER_ARN_PATTERN)] | None = None
    """The account's provider for this URL, when it already has one (IAM holds one per URL). Default: a new one."""


class CiGitHubRepositoryConfig(StrictModel):
    """`ci.github.repositories[]`: a GitHub repository whose workflows may assume the GitHub Actions role."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", max_length=200)]
    """`owner/repository`."""
    branches: Items[Annotated[str, Field(pattern=GIT_REF_PATTERN)]] = ("main",)
    """Branches (`sub` = `repo:<name>:ref:refs/heads/<branch>`). Default: main."""
    environments: Items[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]] = ()
    """GitHub environments (`sub` = `repo:<name>:environment:<env>`), e.g. one with required reviewers.
    Default: none."""

    @model_validator(mode="after")
    def _some_subject(self) -> CiGitHubRepositoryConfig:
        if not self.branches and not self.environments:
            raise field_problem("branches", [], "give at least one branch or environment")
        return self


class CiGitHubConfig(StrictModel):
    """`ci.github`: GitHub Actions as an IAM OIDC identity provider."""

    repositories: Annotated[Items[CiGitHubRepositoryConfig], Field(min_length=1)]
    existing_provider_arn: Annotated[str, Field(pattern=OIDC_PROVIDER_ARN_PATTERN)] | None = None
    """The account's token.actions.githubusercontent.com provider, when it already has one. Default: a new one."""


class CiConfig(StrictModel):
    """`ci`: OIDC identities for CI (tooling account); no IAM user or access key anywhere."""

    gitlab: CiGitLabConfig | None = None
    github: CiGitHubConfig | None = None
    cdk_qualifier: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,10}$")] = "hnb659fds"
    """The CDK bootstrap qualifier of the platform's accounts (the lookup roles `cdk diff` assumes)."""

    @model_validator(mode="after")
    def _some_provider(self) -> CiConfig:
        if self.gitlab is None and self.github is None:
            raise field_problem("ci", {}, "give gitlab and/or github")
        return self


# --- compliance ------------------------------------------------------------------------------


class ComplianceConfig(StrictModel):
    """`compliance`: optional rule packs of the synth-time gate (cdk-nag's three packs always run)."""

    # AWS Control Tower proactive controls (cfn-guard) as a fourth pack: for organisations that turn them on.
    control_tower: bool = False
# --- model lifecycle (build, batch inference) ------------------------------------------------

LifecycleInstanceType = Annotated[str, Field(pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")]
S3KeyPrefix = Annotated[str, Field(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$")]


class LifecycleObjectiveConfig(StrictModel):
    """The metric the evaluation step writes to ``evaluation.json`` and the champion/challenger gate compares."""

    metric: Annotated[str, Field(min_length=1, max_length=255)]
    json_path: Annotated[str, Field(pattern=r"^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$")]
    """Where the report holds the value, e.g. ``metrics.auc.value``."""
    type: Literal["Maximize", "Minimize"] = "Maximize"


class LifecycleJobConfig(StrictModel):
    """Instances and image of a processing or training step."""

    image: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """An ECR image URI or a SageMaker built-in. Default: sagemaker-xgboost:1.7-1 (training),
    sagemaker-scikit-learn:1.2-1-cpu-py3 (processing)."""
    instance_type: LifecycleInstanceType = "ml.m5.large"
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    volume_size_gb: Annotated[int, Field(ge=1, le=16384)] = 30
    max_run_seconds: Annotated[int, Field(ge=1, le=2419200)] = 3600


class LifecycleBuildConfig(StrictModel):
    """A model-build pipeline: preprocess → train → evaluate → champion/challenger gate → register."""

    name: SageMakerPipelineName
    model_package_group: Annotated[str, AfterValidator(_model_package_group_name)]
    account: WorkloadAccountRole = "dev"
    """Where the pipeline runs; its pipeline-step role must register (`registry.register_from`)."""
    objective: LifecycleObjectiveConfig
    training: LifecycleJobConfig = LifecycleJobConfig()
    processing: LifecycleJobConfig = LifecycleJobConfig()
    hyperparameters: dict[str, Annotated[str, Field(max_length=2500)]] = Field(default_factory=dict)
    content_types: Annotated[Items[Annotated[str, Field(min_length=1, max_length=256)]], Field(min_length=1)] = (
        "text/csv",
    )
    response_types: Annotated[Items[Annotated[str, Field(min_length=1, max_length=256)]], Field(min_length=1)] = (
        "text/csv",
    )


class LifecycleBatchConfig(StrictModel):
    """A batch inference pipeline: the latest Approved version of a group scores a prefix of the lifecycle bucket."""

    name: SageMakerPipelineName
    model_package_group: Annotated[str, AfterValidator(_model_package_group_name)]
    account: WorkloadAccountRole = "prod"
    input_prefix: S3KeyPrefix
    output_prefix: S3KeyPrefix
    instance_type: LifecycleInstanceType = "ml.m5.large"
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    content_type: Annotated[str, Field(min_length=1, max_length=256)] = "text/csv"
    accept: Annotated[str, Field(min_length=1, max_length=256)] = "text/csv"
    split_type: Literal["None", "Line", "RecordIO", "TFRecord"] = "Line"


class LifecycleMonitorConfig(StrictModel):
    """Model Monitor data quality of one `endpoints` entry (with data capture) in one stage."""

    endpoint: Annotated[str, AfterValidator(_endpoint_entry_name)]
    stage: Literal["staging", "prod"] = "prod"
    schedule_expression: Annotated[str, Field(pattern=r"^cron\(.+\)$")] = "cron(0 * ? * * *)"
    instance_type: LifecycleInstanceType = "ml.m5.large"
    max_run_seconds: Annotated[int, Field(ge=1, le=3600)] = 1800
    baseline: bool = False
    """Check against ``monitoring/<endpoint name>/baseline/{constraints,statistics}.json`` in the lifecycle bucket."""
    retrain_pipeline_name: SageMakerPipelineName | None = None
    """A `lifecycle.build` pipeline in the stage's account, started on each violation (drift). That account must
    register (`registry.register_from`). Default: none."""


class LifecycleConfig(StrictModel):
    """`lifecycle`: the SageMaker pipelines the platform creates (build with a quality gate, batch inference)."""

    build: Items[LifecycleBuildConfig] = ()
    batch: Items[LifecycleBatchConfig] = ()
    monitoring: Items[LifecycleMonitorConfig] = ()
    removal_policy: Literal["retain", "destroy"] = "retain"
    """Of the lifecycle key and buckets."""

    @model_validator(mode="after")
    def _unique_names(self) -> LifecycleConfig:
        entries: list[LifecycleBuildConfig | LifecycleBatchConfig] = [*self.build, *self.batch]
        names = [entry.name.lower() for entry in entries]
        for index, entry in enumerate(entries):
            if names.count(entry.name.lower()) > 1:
                key = f"build[{index}]" if index < len(self.build) else f"batch[{index - len(self.build)}]"
                raise field_problem(f"{key}.name", entry.name, "each lifecycle pipeline name may be used once")
        return self

    def pipelines_in(self, account: str) -> dict[str, str]:
        """Pipeline name -> kind (``build`` or ``batch``) of the pipelines in one account role."""
        found = {entry.name: "build" for entry in self.build if entry.account == account}
        found.update({entry.name: "batch" for entry in self.batch if entry.account == account})
        return found


# --- the whole platform ---------------------------------------------------------------------


class PlatformConfig(StrictModel):
    """The whole platform config (cdk.json `context.platform`)."""

    name: Annotated[str, AfterValidator(_platform_name)] = "mlplatform"
    accounts: AccountsConfig | None = None
    region: Region = "us-east-1"
    organization_id: Annotated[str, AfterValidator(_organization_id)] | None = None
    studio: StudioConfig | None = None
    registry: RegistryConfig | None = None
    endpoints: Annotated[Items[EndpointConfig], AfterValidator(_unique_endpoint_names)] = ()
    tuning: TuningSpecs = ()
    tuning_launcher: TuningLauncherConfig | None = None
    pipeline: PipelineConfig | None = None
    gateway: GatewayConfig | None = None
    deploy: DeployConfig | None = None
    compliance: ComplianceConfig = ComplianceConfig()
    instance_types: Items[InstanceTypeConfig] = ()
    images: ImagesConfig | None = None
    ci: CiConfig | None = None
    lifecycle: LifecycleConfig | None = None

    @model_validator(mode="after")
    def _registry_accounts(self) -> PlatformConfig:
        # Each workload account holds one set of the fixed-name registry roles, and the registry is kept
        # apart from the workloads it governs; the tooling account may host the registry.
        if self.registry is None or self.accounts is None:
            return self
        accounts = self.accounts
        workloads = {role: getattr(accounts, role) for role in WORKLOAD_ACCOUNT_ROLES}
        for role, account in workloads.items():
            if account == accounts.registry:
                raise field_problem(
                    f"accounts.{role}",
                    account,
                    "with `registry` set, the registry account must not be a workload account (dev, staging, "
                    "prod); allowed: an account of its own, or the tooling account",
                )
        for index, role in enumerate(WORKLOAD_ACCOUNT_ROLES):
            for other in WORKLOAD_ACCOUNT_ROLES[index + 1 :]:
                if workloads[role] == workloads[other]:
                    raise field_problem(
                        f"accounts.{other}",
                        workloads[other],
                        f"with `registry` set, dev, staging and prod must be three different accounts (each holds "
                        f"its own fixed-name registry roles); it equals `accounts.{role}`. For one account, omit "
                        "`accounts` (the sandbox)",
                    )
        return self

    @model_validator(mode="after")
    def _pipeline_needs_accounts(self) -> PlatformConfig:
        if self.pipeline is not None and self.accounts is None:
            raise field_problem(
                "pipeline",
                self.pipeline.model_dump(),
                "only valid with `accounts`: the pipeline deploys one stage per account (tooling, registry, dev, "
                "staging, prod); the single-account sandbox is deployed with `cdk deploy`",
            )
        return self

    @model_validator(mode="after")
    def _gateway_endpoints_exist(self) -> PlatformConfig:
        if self.gateway is not None:
            check_gateway_endpoints(self.gateway, {endpoint.name for endpoint in self.endpoints})
        return self

    # --- wiring between capabilities ---

    @model_validator(mode="after")
    def _gateway_services_fit_their_endpoints(self) -> PlatformConfig:
        # An async service needs an async endpoint (its results reach the gateway's bucket and topic); a
        # real-time service calls InvokeEndpoint with no TargetModel: a real-time or serverless endpoint.
        if self.gateway is None:
            return self
        modes = {entry.name: entry.mode for entry in self.endpoints}
        allowed = {"async": ("async",), "realtime": ("realtime", "serverless")}
        for index, service in enumerate(self.gateway.services):
            mode = modes.get(service.endpoint)
            if mode is not None and mode not in allowed[service.kind]:
                raise field_problem(
                    f"gateway.services[{index}].kind",
                    service.kind,
                    f"endpoint {service.endpoint!r} has mode {mode!r}; a {service.kind} service needs an endpoint "
                    f"of mode {' or '.join(allowed[service.kind])}",
                )
        return self

    @model_validator(mode="after")
    def _pinned_packages_in_declared_groups(self) -> PlatformConfig:
        # A version pinned in the registry account is granted through its group's policies; a group the
        # registry does not declare has none, and the hosting stack's CreateModel would be refused.
        if self.registry is None or self.accounts is None:
            return self
        declared = {name.lower() for name in self.registry.model_package_groups}
        for index, entry in enumerate(self.endpoints):
            if entry.model_package_arn is None:
                continue
            region, account, group = pinned_package_parts(entry.model_package_arn)
            if account == self.accounts.registry and group.lower() not in declared:
                raise field_problem(
                    f"endpoints[{index}].model_package_arn",
                    entry.model_package_arn,
                    f"group {group!r} is in the registry account but not in registry.model_package_groups "
                    f"{list(self.registry.model_package_groups)}: declare it there, or pin a version of a declared "
                    "group",
                )
            if account == self.accounts.registry and region != self.region:
                raise field_problem(
                    f"endpoints[{index}].model_package_arn",
                    entry.model_package_arn,
                    f"the registry is in {self.region}; a version pinned in the registry account must be there too",
                )
        return self

    def registry_group_of(self, entry: EndpointConfig) -> str | None:
        """The platform registry group an `endpoints` entry is fed by (a group, or a version pinned in one), if any.

        In the sandbox a pinned version counts as the platform's when its group is declared: the registry
        account is the deploying account, unknown until deployment.
        """
        if self.registry is None:
            return None
        if entry.model_package_group is not None:
            return entry.model_package_group
        if entry.model_package_arn is None or entry.model_artifacts_bucket is not None:
            return None
        _, account, group = pinned_package_parts(entry.model_package_arn)
        if self.accounts is not None and account != self.accounts.registry:
            return None
        return next((name for name in self.registry.model_package_groups if name.lower() == group.lower()), None)

    @model_validator(mode="after")
    def _tuning_can_register(self) -> PlatformConfig:
        # The tuning pipeline (dev account) registers its best model through the dev pipeline-step role.
        tunes = bool(self.tuning) or self.tuning_launcher is not None
        if tunes and self.registry is not None and "dev" not in self.registry.register_from:
            raise field_problem(
                "registry.register_from",
                list(self.registry.register_from),
                "must include dev when `tuning` is set: the tuning pipeline registers its best model from the "
                "dev account",
            )
        return self

    @model_validator(mode="after")
    def _deploy_targets_exist(self) -> PlatformConfig:
        # Each deployed group must be a registry group, and each of its endpoints an `endpoints` entry fed by it.
        if self.deploy is None:
            return self
        groups_of = {entry.name: entry.model_package_group for entry in self.endpoints}
        for index, group in enumerate(self.deploy.groups):
            where = f"deploy.groups[{index}]"
            for endpoint in group.endpoints:
                if endpoint not in groups_of:
                    known = ", ".join(sorted(groups_of)) or "none"
                    raise field_problem(
                        f"{where}.endpoints", endpoint, f"no `endpoints` entry of that name; known: {known}"
                    )
                if groups_of[endpoint] != group.model_package_group:
                    raise field_problem(
                        f"{where}.endpoints",
                        endpoint,
                        f"the `endpoints` entry serves model_package_group {groups_of[endpoint]!r}, "
                        f"not {group.model_package_group!r}",
                    )
            if self.registry is not None and group.model_package_group not in self.registry.model_package_groups:
                raise field_problem(
                    f"{where}.model_package_group",
                    group.model_package_group,
                    "not a registry model package group; known: "
                    + ", ".join(sorted(self.registry.model_package_groups)),
                )
        return self

    @model_validator(mode="after")
    def _endpoint_instance_types(self) -> PlatformConfig:
        # The hosting catalog's rules at config time, so a bad type stops synth naming the config key.
        from sagemaker_platform.instance_types import endpoint_instance_problem, instance_type_problem

        for index, declared in enumerate(self.instance_types):
            problem = instance_type_problem(declared)
            if problem is not None:
                raise field_problem(f"instance_types[{index}].name", declared.name, problem)
        for index, entry in enumerate(self.endpoints):
            if not isinstance(entry, EndpointConfig):  # a narrower entry model (tests of other sections)
                continue
            problem = endpoint_instance_problem(entry, self.instance_types)
            if problem is not None:
                raise field_problem(f"endpoints[{index}].instance_type", entry.instance_type, problem)
        return self

    @model_validator(mode="after")
    def _platform_images_exist(self) -> PlatformConfig:
        known = {repo.name for repo in self.images.repositories} if self.images is not None else set()
        for index, entry in enumerate(self.endpoints):
            if (
                isinstance(entry, EndpointConfig)
                and isinstance(entry.image, EndpointPlatformImageConfig)
                and entry.image.platform_repository not in known
            ):
                raise field_problem(
                    f"endpoints[{index}].image.platform_repository",
                    entry.image.platform_repository,
                    "not an `images.repositories` entry; known: " + (", ".join(sorted(known)) or "none"),
                )
        return self

    @model_validator(mode="after")
    def _lifecycle_fits_the_registry(self) -> PlatformConfig:
        # Build pipelines register through their account's pipeline-step role: only an account in
        # `registry.register_from` may hold one; both kinds read a registry group.
        if self.lifecycle is None:
            return self
        entries: list[tuple[str, int, LifecycleBuildConfig | LifecycleBatchConfig]] = [
            ("build", index, entry) for index, entry in enumerate(self.lifecycle.build)
        ]
        entries += [("batch", index, entry) for index, entry in enumerate(self.lifecycle.batch)]
        if entries and self.registry is None:
            raise field_problem("lifecycle", "...", "needs `registry`: the lifecycle pipelines use its groups")
        for kind, index, entry in entries:
            assert self.registry is not None
            if entry.model_package_group not in self.registry.model_package_groups:
                raise field_problem(
                    f"lifecycle.{kind}[{index}].model_package_group",
                    entry.model_package_group,
                    "not a registry model package group; known: "
                    + ", ".join(sorted(self.registry.model_package_groups)),
                )
            if kind == "build" and not self.is_sandbox and entry.account not in self.registry.register_from:
                raise field_problem(
                    f"lifecycle.build[{index}].account",
                    entry.account,
                    "a build pipeline registers models, but this account's roles may not register; allowed: "
                    + ", ".join(self.registry.register_from)
                    + " (`registry.register_from`)",
                )
        return self

    @model_validator(mode="after")
    def _monitors_watch_capturing_endpoints(self) -> PlatformConfig:
        # A monitor reads the endpoint's captured data; a drift retrain registers, so it runs where roles may.
        if self.lifecycle is None:
            return self
        capture = {entry.name: entry.data_capture_percent for entry in self.endpoints}
        for index, monitor in enumerate(self.lifecycle.monitoring):
            where = f"lifecycle.monitoring[{index}]"
            if monitor.endpoint not in capture:
                raise field_problem(
                    f"{where}.endpoint",
                    monitor.endpoint,
                    "no `endpoints` entry of that name; known: " + (", ".join(sorted(capture)) or "none"),
                )
            if capture[monitor.endpoint] is None:
                raise field_problem(
                    f"{where}.endpoint",
                    monitor.endpoint,
                    "the endpoint captures no data; set its `data_capture_percent` (1-100)",
                )
            retrain = monitor.retrain_pipeline_name
            if retrain is None:
                continue
            if self.registry is not None and not self.is_sandbox and monitor.stage not in self.registry.register_from:
                raise field_problem(
                    f"{where}.retrain_pipeline_name",
                    retrain,
                    f"drift retraining would run in {monitor.stage}, whose roles may not register the retrained "
                    f"model (`registry.register_from` = {list(self.registry.register_from)}); drop it, or let "
                    f"{monitor.stage} register",
                )
            builds = [b.name for b in self.lifecycle.build if self.is_sandbox or b.account == monitor.stage]
            if retrain not in builds:
                raise field_problem(
                    f"{where}.retrain_pipeline_name",
                    retrain,
                    f"not a `lifecycle.build` pipeline in {monitor.stage}; known: " + (", ".join(builds) or "none"),
                )
        return self

    @model_validator(mode="after")
    def _schedules_start_platform_pipelines(self) -> PlatformConfig:
        # With `lifecycle`, a schedule starts a pipeline the app creates in the schedule's account, and a retrain
        # target is a build pipeline there; a retrain target must be in an account whose roles may register.
        if self.deploy is None:
            return self
        for index, schedule in enumerate(self.deploy.schedules):
            where = f"deploy.schedules[{index}]"
            retrain = schedule.retrain_pipeline_name
            if (
                retrain is not None
                and self.registry is not None
                and not self.is_sandbox
                and schedule.account not in self.registry.register_from
            ):
                raise field_problem(
                    f"{where}.retrain_pipeline_name",
                    retrain,
                    f"retraining runs in {schedule.account}, whose roles may not register the retrained model "
                    f"(`registry.register_from` = {list(self.registry.register_from)}); schedule the retraining in "
                    "an account that registers, or drop retrain_pipeline_name",
                )
            if self.lifecycle is None:
                continue
            pipelines = self.lifecycle.pipelines_in(schedule.account)
            if self.is_sandbox:
                pipelines = {entry.name: kind for kind in ("build", "batch") for entry in getattr(self.lifecycle, kind)}
            if schedule.pipeline_name not in pipelines:
                raise field_problem(
                    f"{where}.pipeline_name",
                    schedule.pipeline_name,
                    f"no `lifecycle` pipeline of that name in {schedule.account}; known: "
                    + (", ".join(sorted(pipelines)) or "none"),
                )
            if retrain is not None and pipelines.get(retrain) != "build":
                builds = sorted(name for name, kind in pipelines.items() if kind == "build")
                raise field_problem(
                    f"{where}.retrain_pipeline_name",
                    retrain,
                    f"not a `lifecycle.build` pipeline in {schedule.account}; known: " + (", ".join(builds) or "none"),
                )
        return self

    @property
    def is_sandbox(self) -> bool:
        """True for the single-account sandbox: no `accounts`, env-agnostic stacks."""
        return self.accounts is None


# --- loading --------------------------------------------------------------------------------


def parse_config(raw: Any) -> PlatformConfig:
    """Validate a config mapping (as read from JSON or YAML) into a `PlatformConfig`.

    Raises `ConfigError` naming every bad key, the value given and what is allowed.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([f"the platform config must be a mapping, got {type(raw).__name__}: {raw!r}"])
    try:
        return PlatformConfig.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(error, raw) for error in exc.errors()) from None


def load_config_file(path: str | Path) -> PlatformConfig:
    """Read and validate a JSON (`.json`) or YAML (`.yaml`/`.yml`) config file."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError([f"config={str(path)!r}: no such file"])
    text = file.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            [f"config={str(path)!r}: not valid {'JSON' if file.suffix == '.json' else 'YAML'}: {exc}"]
        ) from None
    return parse_config(raw)


def config_from_context(get_context: Any) -> PlatformConfig:
    """The platform config from CDK context: `config` (a file path) wins over `platform` (inline).

    `get_context` is `node.try_get_context`. A `platform` value given on the command line
    (``-c platform='{...}'``) arrives as a JSON string and is parsed here.
    """
    path = get_context(CONFIG_PATH_CONTEXT_KEY)
    if path is not None:
        return load_config_file(str(path))
    inline = get_context(CONTEXT_KEY)
    if isinstance(inline, str):
        try:
            inline = json.loads(inline)
        except json.JSONDecodeError as exc:
            raise ConfigError([f"platform: the context value is not valid JSON: {exc}"]) from None
    return parse_config(inline)


def _describe(error: Any, raw: Any) -> str:
    """One line for one pydantic error: the dotted key, the value given, what is allowed."""
    path = _dotted(error["loc"], raw)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "field_problem":
        ctx = error["ctx"]
        field = ctx["field"] if path == "platform" else f"{path}.{ctx['field']}"
        return f"`{field}` = {json.dumps(ctx['value'], default=str)}: {message}"
    if error["type"] in ("unknown_key", "missing"):
        return f"`{path}`: {message}" if error["type"] == "unknown_key" else f"`{path}`: required key is missing"
    return f"`{path}` = {json.dumps(error.get('input'), default=str)}: {message}"


def _dotted(loc: tuple[Any, ...], raw: Any) -> str:
    """`('studio', 'users', 2, 'name')` -> `studio.users[2].name`, dropping pydantic's union tags."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and item < len(node) else None
        elif isinstance(node, dict) and item in node:
            parts.append(f".{item}" if parts else str(item))
            node = node[item]
        elif isinstance(node, dict) or node is None:
            # A key pydantic reports that is not in the input: a missing key, or a union member tag.
            if item in _KNOWN_UNION_TAGS:
                continue
            parts.append(f".{item}" if parts else str(item))
            node = None
    return "".join(parts) or "platform"


# pydantic labels each member of a union in `loc` (e.g. `str`, `function-after[...]`); skip them.
_KNOWN_UNION_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "tuple"})
