"""What each Studio persona may do on the platform, granted where each capability lives.

- Studio stack (dev): the registry's groups (read; register as PendingManualApproval where dev registers;
  approve or reject for approvers) and, when staging shares the dev account (the sandbox), the staging
  endpoints (invoke, describe) and their logs. On every role a persona's users run with.
- Tuning stack (dev): `PersonaTuningAccess`, a managed policy attached by name to the persona roles: the
  data bucket (read/write), the output bucket (read), the tuning pipeline (start, watch, stop), the launcher
  queue, the training jobs it starts (describe, logs), and passing the training role to SageMaker only.
- Registry stack: the persona roles in its group, bucket and key policies (`stacks.registry`).

An approver is a data scientist who may also approve or reject versions.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import STUDIO_PERSONAS, PlatformConfig
from sagemaker_platform.constructs.registry import RegistryAccess, grant_groups
from sagemaker_platform.constructs.studio import Persona, StudioDomain
from sagemaker_platform.constructs.tuning import TrainingJobLauncher, TuningPipeline, TuningStorage
from sagemaker_platform.constructs.wildcards import acknowledge_statement_wildcards
from sagemaker_platform.stacks.base import RegistryHome

# --- actions, in one place ------------------------------------------------------------------------

REGISTRY_LIST_ACTIONS = ("sagemaker:ListModelPackageGroups",)
ENDPOINT_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync", "sagemaker:DescribeEndpoint")
LOG_READ_ACTIONS = ("logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents")
DATA_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
OUTPUT_ACTIONS = ("s3:GetObject",)
LIST_ACTIONS = ("s3:ListBucket",)
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
PIPELINE_ACTIONS = ("states:StartExecution", "states:DescribeStateMachine", "states:ListExecutions")
EXECUTION_ACTIONS = ("states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution")
JOB_ACTIONS = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
)
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"


def persona_role_names(config: PlatformConfig) -> dict[Persona, str]:
    """The fixed name of each persona's role (`naming.studio_persona_role_name`)."""
    return {
        persona: naming.studio_persona_role_name(config.name, persona) for persona in ("data-scientist", "approver")
    }


def studio_personas_in_use(config: PlatformConfig) -> list[Persona]:
    """The personas whose roles the Studio stack creates: data-scientist always (the domain's default role),
    approver when a user has it."""
    if config.studio is None:
        return []
    return [p for p in STUDIO_PERSONAS if p == "data-scientist" or any(u.persona == p for u in config.studio.users)]


def grant_studio_personas(scope: Construct, config: PlatformConfig, studio: StudioDomain) -> None:
    """The Studio stack's side: registry groups and (same account) staging endpoints, per persona."""
    groups = None
    if config.registry is not None:
        location = RegistryHome.of(config).location(config.name, config.registry.model_package_groups)
        groups = location.groups(Construct(scope, "PersonaRegistry"))
        registers = "dev" in config.registry.register_from
    # Both personas' roles together are the domain's execution roles, which its member policy reaches.
    for persona in ("data-scientist", "approver"):
        for role in studio.roles_of_persona(persona):  # type: ignore[arg-type]
            if groups is not None:
                grant_groups(role, groups, RegistryAccess.REGISTER if registers else RegistryAccess.READ)
                if persona == "approver":
                    grant_groups(role, groups, RegistryAccess.APPROVE)
    if groups is not None:
        studio.add_to_member_policy(
            iam.PolicyStatement(actions=list(REGISTRY_LIST_ACTIONS), resources=["*"]),
            "ListModelPackageGroups supports no resource-level permissions; the groups themselves are granted by name",
        )
    _grant_staging_endpoints(studio, config)


def _grant_staging_endpoints(studio: StudioDomain, config: PlatformConfig) -> None:
    # Only where staging is the dev account: SageMaker endpoints have no resource policy, so another account's
    # endpoint cannot be invoked with a dev role (README: "Studio personas").
    if config.accounts is not None and config.accounts.staging != config.accounts.dev:
        return
    names = [naming.endpoint_name(config.name, entry.name, "staging") for entry in config.endpoints]
    if not names:
        return
    stack = cdk.Stack.of(studio)
    studio.add_to_member_policy(
        iam.PolicyStatement(
            actions=list(ENDPOINT_ACTIONS),
            resources=[stack.format_arn(service="sagemaker", resource="endpoint", resource_name=n) for n in names],
        ),
    )
    log_groups = [
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/sagemaker/Endpoints/{n}"
        for n in names
    ]
    studio.add_to_member_policy(
        iam.PolicyStatement(
            actions=list(LOG_READ_ACTIONS), resources=[*log_groups, *(f"{g}:log-stream:*" for g in log_groups)]
        ),
        "the staging endpoints' own log groups: SageMaker names one stream per variant and instance",
    )


class PersonaTuningAccess(Construct):
    """The tuning stack's side: one managed policy with what the personas do with tuning, attached to the
    persona roles of the Studio stack by name (the Studio stack deploys first: `DEPLOY_ORDER`)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        role_names: Sequence[str],
        storage: TuningStorage,
        pipeline: TuningPipeline,
        launcher: TrainingJobLauncher | None,
    ) -> None:
        super().__init__(scope, id)
        roles = [
            iam.Role.from_role_name(self, f"Role{index}", name, mutable=False) for index, name in enumerate(role_names)
        ]
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Studio personas: tuning data, pipelines, launcher and training jobs",
            roles=roles,
        )
        stack = cdk.Stack.of(self)
        statements = [
            *_data_statements(storage),
            *_pipeline_statements(stack, pipeline),
            *_job_statements(stack, storage),
            *_launcher_statements(launcher),
        ]
        for statement, reason in statements:
            self.policy.add_statements(statement)
            acknowledge_statement_wildcards(self.policy, statement, reason)


# A statement of the persona policy, and why its wildcard is needed (None: it has none).
_Statement = tuple[iam.PolicyStatement, str | None]


def _data_statements(storage: TuningStorage) -> list[_Statement]:
    """The team's data (read/write), the tuning output (read), listing both, and their key."""
    return [
        (
            iam.PolicyStatement(actions=list(DATA_ACTIONS), resources=[storage.data_bucket.arn_for_objects("*")]),
            "the team's training data: any object of the tuning data bucket, which holds nothing else",
        ),
        (
            iam.PolicyStatement(actions=list(OUTPUT_ACTIONS), resources=[storage.output_bucket.arn_for_objects("*")]),
            "models and checkpoints the tuning jobs write under generated prefixes of the output bucket",
        ),
        (
            iam.PolicyStatement(
                actions=list(LIST_ACTIONS),
                resources=[storage.data_bucket.bucket_arn, storage.output_bucket.bucket_arn],
            ),
            None,
        ),
        (iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[storage.key.key_arn]), None),
    ]


def _pipeline_statements(stack: cdk.Stack, pipeline: TuningPipeline) -> list[_Statement]:
    """Start the tuning pipeline, and watch or stop its executions."""
    state_machine = pipeline.state_machine
    executions = stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine.state_machine_name}:*",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    return [
        (iam.PolicyStatement(actions=list(PIPELINE_ACTIONS), resources=[state_machine.state_machine_arn]), None),
        (
            iam.PolicyStatement(actions=list(EXECUTION_ACTIONS), resources=[executions]),
            "executions of the tuning pipeline get their names when started",
        ),
    ]


def _job_statements(stack: cdk.Stack, storage: TuningStorage) -> list[_Statement]:
    """Training and tuning jobs, with the one training role they may be passed, and their logs."""
    log_group = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name="/aws/sagemaker/TrainingJobs",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    return [
        (
            iam.PolicyStatement(
                actions=list(JOB_ACTIONS),
                resources=[
                    stack.format_arn(service="sagemaker", resource="training-job", resource_name="*"),
                    stack.format_arn(service="sagemaker", resource="hyper-parameter-tuning-job", resource_name="*"),
                ],
            ),
            "training and tuning jobs are named per run; what they may do is the one training role they can "
            "be passed (iam:PassRole below)",
        ),
        (
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[storage.training_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_PRINCIPAL}},
            ),
            None,
        ),
        (
            iam.PolicyStatement(actions=list(LOG_READ_ACTIONS), resources=[log_group, f"{log_group}:log-stream:*"]),
            "SageMaker names one log stream per training job instance",
        ),
    ]


def _launcher_statements(launcher: TrainingJobLauncher | None) -> list[_Statement]:
    """Queue launch requests, when there is a launcher."""
    if launcher is None:
        return []
    return [
        (
            iam.PolicyStatement(
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[launcher.queue.queue_arn],
            ),
            None,
        )
    ]
