"""The tuning pipeline's Lambda functions: the request builder, the registrar and the reporter.

Each is created in `scope` (the `TuningPipeline`), so its construct path is the pipeline's own.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.tuning.grants import grant_list_tuning_jobs, grant_register
from sagemaker_platform.constructs.tuning.storage import TuningStorage


def render_request_builder(scope: Construct, storage: TuningStorage) -> PlatformFunction:
    """`RequestBuilder`: validates a tuning spec and builds its CreateHyperParameterTuningJob request."""
    function = PlatformFunction(
        scope,
        "RequestBuilder",
        handler_name="tuning_request",
        key=storage.key,
        description="Validates a tuning spec and builds its CreateHyperParameterTuningJob request",
        environment={
            **storage.training_environment(),
            **({} if storage.platform_images is None else storage.platform_images.environment(scope)),
        },
    )
    # warm_start.parent_spec: the builder lists the parent spec's tuning jobs.
    grant_list_tuning_jobs(function.role)
    return function


def render_registrar(
    scope: Construct,
    storage: TuningStorage,
    *,
    step_role_arn: str,
    registry_account: str | None,
    model_artifacts_bucket: str | None,
) -> PlatformFunction:
    """`Registrar`: registers the best model of a tuning job as PendingManualApproval."""
    return PlatformFunction(
        scope,
        "Registrar",
        handler_name="tuning_register",
        key=storage.key,
        description="Registers the best model of a tuning job as PendingManualApproval",
        # Streams the model artifact into the registry (multipart, bounded memory).
        timeout=cdk.Duration.minutes(15),
        memory_size=512,
        environment={
            "PIPELINE_STEP_ROLE_ARN": step_role_arn,
            **storage.output_environment(),
            "REGISTRY_ACCOUNT": registry_account if registry_account is not None else "",
            "MODEL_ARTIFACTS_BUCKET": model_artifacts_bucket if model_artifacts_bucket is not None else "",
        },
    )


def render_reporter(scope: Construct, storage: TuningStorage) -> PlatformFunction:
    """`Reporter`: writes the tuning report (HTML, inline SVG charts) of a finished tuning job."""
    return PlatformFunction(
        scope,
        "Reporter",
        handler_name="tuning_report",
        key=storage.key,
        description="Writes the tuning report (HTML, inline SVG charts) of a finished tuning job",
        timeout=cdk.Duration.minutes(2),
        environment=storage.output_environment(),
    )


def name_and_grant_registrar(
    scope: Construct,
    registrar: PlatformFunction,
    storage: TuningStorage,
    *,
    platform_name: str,
    step_role_arn: str,
    writes_metrics: bool,
) -> None:
    """Give the registrar's role the name the registry's pipeline-step role trusts, and its grants."""
    # The registry's pipeline-step role trusts this exact role name (cross-account contract).
    register_role = registrar.role.node.default_child
    assert isinstance(register_role, iam.CfnRole)
    register_role.role_name = naming.tuning_register_role_name(platform_name)
    grant_register(scope, registrar.role, storage, step_role_arn, writes_metrics=writes_metrics)
