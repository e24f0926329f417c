"""Deterministic names shared across stacks and accounts.

Stacks in different accounts refer to each other's roles, buses and parameters by these names,
never by CloudFormation exports, so each account's stacks synthesize and deploy on their own.
Every builder takes the platform name (`PlatformConfig.name`) first. Arguments may be CDK tokens
(e.g. `Aws.ACCOUNT_ID` in the env-agnostic sandbox).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Stage = Literal["staging", "prod"]
STAGES: tuple[Stage, ...] = ("staging", "prod")


def _platform_named(pattern: str) -> Callable[[str], str]:
    """The builder of a name that depends on the platform name alone (``{platform}`` in `pattern`).

    One builder for such names, so each is a pattern with its docstring; names with more parts
    (stage, endpoint, account, region) stay typed functions.
    """

    def build(platform: str) -> str:
        return pattern.format(platform=platform)

    return build


# --- IAM roles in the workload accounts (dev, staging, prod) ----------------------------------


sagemaker_execution_role_name = _platform_named("{platform}-sagemaker-execution")
"""SageMaker execution role of a workload account (training, processing, models)."""


def pipeline_step_role_name(platform: str) -> str:
    """Role that SageMaker Pipelines steps (and the tuning register step) use to reach the central registry."""
    return f"{platform}-pipeline-step"


def tuning_training_role_name(platform: str) -> str:
    """Training role of the dev account's tuning pipelines and launcher, named when the platform's image
    repositories (another account's policies) let it pull."""
    return f"{platform}-tuning-training"


def deploy_role_name(platform: str) -> str:
    """Role in staging/prod that the tooling account's deploy pipeline assumes to deploy endpoints."""
    return f"{platform}-deploy"


def endpoint_role_name(platform: str, endpoint: str, stage: Stage) -> str:
    """Execution role of one hosted endpoint's models in one stage (IAM role names are limited to 64 characters).

    The stage is part of the name so staging and prod can share one account in the sandbox. The hosting
    stack creates it; the registry (artifacts, packages) and the gateway (output bucket, topic) grant it.
    """
    return f"{platform}-endpoint-{endpoint}-{stage}"[:64]


endpoint_role_name_prefix = _platform_named("{platform}-endpoint-")
"""Prefix of every endpoint execution role: what the deploy role may pass to SageMaker."""

tuning_register_role_name = _platform_named("{platform}-tuning-register")
"""Role of the tuning pipeline's register-best-model step (dev account); trusted by the pipeline-step role."""

lifecycle_lookup_role_name = _platform_named("{platform}-lifecycle-lookup")
"""Role of the lifecycle pipelines' registry lookup function; the pipeline-step role trusts it by name."""

ci_pipeline_role_name = _platform_named("{platform}-ci-pipeline")
"""Role in each account with lifecycle build pipelines that the CI roles (tooling) assume to upload the build
code and start the build pipelines (`CiPipelineAccess`)."""


def studio_persona_role_name(platform: str, persona: str) -> str:
    """Studio execution role of one persona (`data-scientist`, `approver`) in the dev account.

    Fixed, so that the registry account's group, bucket and key policies can name it (register from dev,
    approve), and the tuning stack can attach the persona's access to its pipelines by name.
    """
    return f"{platform}-studio-{persona}"


# --- IAM roles in the tooling account ---------------------------------------------------------


deploy_pipeline_role_name = _platform_named("{platform}-deploy-pipeline")
"""Role the deploy pipeline's tasks run as in the tooling account; the only principal the deploy roles trust."""

deploy_endpoint_step_role_name = _platform_named("{platform}-deploy-endpoint-step")
"""Role of the deploy pipeline's endpoint step (tooling account): the only one the deploy-pipeline role trusts.

Named because the deploy-pipeline role lives in a stack deployed before it (`<name>-deploy-identity`) and
trusts it by `aws:PrincipalArn`.
"""


# --- shared by the capabilities of an account ------------------------------------------------


def access_logs_bucket_name(platform: str, account: str, region: str) -> str:
    """The bucket of an account and region that receives the S3 server access logs of the platform's buckets
    (at most 60 characters: 20 + 13 + 12 + 1 + 14); its stacks' buckets log there by this name, with no exports."""
    return f"{platform}-access-logs-{account}-{region}"


# --- model registry (registry account) -------------------------------------------------------


def model_artifacts_bucket_name(platform: str, account: str, region: str) -> str:
    """The registry's model artifacts bucket (at most 55 characters: 20 + 8 + 12 + 1 + 14)."""
    return f"{platform}-models-{account}-{region}"


model_artifacts_key_alias = _platform_named("alias/{platform}-model-artifacts")
"""Alias of the artifacts bucket's KMS key; workload roles scope their key grants by it (`kms:ResourceAliases`)."""

model_events_forwarder_role_name = _platform_named("{platform}-model-events-forwarder")
"""Registry-account role that the approval-forwarding rule uses to put events on the tooling bus."""

model_approvals_rule_name = _platform_named("{platform}-model-approvals")
"""Registry-account EventBridge rule forwarding approved (and rejected) model versions to the tooling bus."""

deploy_state_machine_name = _platform_named("{platform}-deploy")
"""Step Functions state machine of the deploy pipeline (tooling account)."""


# --- event buses ------------------------------------------------------------------------------


model_events_bus_name = _platform_named("{platform}-model-events")
"""Tooling-account bus that receives 'SageMaker Model Package State Change' events from the registry."""

platform_events_bus_name = _platform_named("{platform}-platform-events")
"""Bus on which the platform publishes its own events (deployment started/succeeded/failed/rolled back)."""


# --- endpoints --------------------------------------------------------------------------------


def endpoint_name(platform: str, endpoint: str, stage: Stage) -> str:
    """Stable SageMaker endpoint name (consumers such as Redshift ML refer to endpoints by name).

    The stage is part of the name so staging and prod can share one account in the sandbox.
    """
    return f"{platform}-{endpoint}-{stage}"


def hosting_bucket_name(platform: str, stage: Stage, account: str, region: str) -> str:
    """A stage's hosting bucket (data capture under ``data-capture/<endpoint name>/``), as `HostingStack` names it."""
    return f"{platform}-{stage}-ep-{account}-{region}"


def deployment_spec_parameter_name(platform: str, endpoint: str, stage: Stage) -> str:
    """SSM parameter where the hosting stack publishes an endpoint's deployment spec for the deploy pipeline."""
    return f"/{platform}/{stage}/endpoints/{endpoint}/deployment-spec"


def hosting_key_alias(platform: str, stage: Stage) -> str:
    """Alias of a stage's hosting KMS key (endpoint volumes: the spec's `kms_key_arn`).

    The deploy role's `kms:CreateGrant`/`kms:DescribeKey` grant is scoped by it (`kms:ResourceAliases`).
    """
    return f"alias/{platform}-hosting-{stage}"


deployment_spec_parameter_prefix = _platform_named("/{platform}/")
"""Path prefix of every deployment spec parameter (for the deploy role's ssm:GetParameter grant)."""


# --- delivery pipeline (tooling account) ------------------------------------------------------


deployed_commit_parameter_name = _platform_named("/{platform}/pipeline/deployed-commit")
"""SSM parameter where the delivery pipeline records the last commit it deployed to every stage.

The pipeline's synth-and-diff compares the new commit with it.
"""


# --- ARNs -------------------------------------------------------------------------------------


def role_arn(partition: str, account: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def event_bus_arn(partition: str, region: str, account: str, bus_name: str) -> str:
    return f"arn:{partition}:events:{region}:{account}:event-bus/{bus_name}"


# --- inference gateway (prod account) ---------------------------------------------------------


def gateway_output_bucket_name(platform: str, account: str, region: str) -> str:
    """Bucket where the inference gateway keeps prediction outputs.

    Async endpoints served by the gateway write their results under ``s3://<this>/async/`` (their
    `AsyncInferenceConfig.OutputConfig.S3OutputPath`); the bucket policy lets `<name>-endpoint-*` roles do it.
    """
    return f"{platform}-gateway-output-{account}-{region}"


def gateway_input_bucket_name(platform: str, account: str, region: str) -> str:
    """Bucket where the inference gateway keeps request payloads (at most 63 characters: 20 + 15 + 12 + 1 + 14).

    Async endpoints served by the gateway read their requests (`InputLocation`) from ``s3://<this>/inputs/``.
    """
    return f"{platform}-gateway-input-{account}-{region}"


gateway_key_alias = _platform_named("alias/{platform}-gateway")
"""Alias of the inference gateway's KMS key (its buckets and completion topic).

Async endpoints served by the gateway encrypt their outputs with it; their roles' grants are scoped by it.
"""

gateway_completion_topic_name = _platform_named("{platform}-gateway-completions")
"""SNS topic of prediction completions: async endpoints' SuccessTopic and ErrorTopic, and the gateway's own."""

gateway_client_topic_prefix = _platform_named("{platform}-predictions-")
"""Name prefix of the SNS topics (in the gateway's account and region) that clients may ask to be notified on."""
