"""What every Step Functions state machine of the platform shares: its encrypted log group and its role.

The deploy pipeline, the tuning pipeline and the gateway's ensembles each run a state machine with
execution logging to a KMS-encrypted log group, X-Ray tracing and a `PlatformRole`; these helpers build
those pieces once, with the cdk-nag acknowledgments that Step Functions' own grants force.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.contracts.aws_faults import TRANSIENT_ERROR

# What a Lambda task retries besides the Lambda service errors the CDK already retries: its handler's own
# transient AWS failures (the contract's error name) and Lambda refusing for reserved concurrency.
TRANSIENT_TASK_ERRORS = [TRANSIENT_ERROR, "Lambda.TooManyRequestsException"]


# What the optimized SageMaker integration (`arn:aws:states:::sagemaker:create<Job>.sync`) reports when its API
# call fails, throttling and unavailability included: one name for every SageMaker API error, the error code in
# the Cause. A job that ran and ended Failed or Stopped is `States.TaskFailed` instead.
SAGEMAKER_INTEGRATION_ERROR = "SageMaker.AmazonSageMakerException"


def state_machine_log_group(scope: Construct, id: str, *, key: kms.IKey) -> logs.LogGroup:
    """The execution log group of a state machine: encrypted with `key`, kept one year, retained."""
    return logs.LogGroup(
        scope, id, encryption_key=key, retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.RETAIN
    )


def state_machine_role(scope: Construct, id: str, *, description: str) -> PlatformRole:
    """The role a state machine runs as; its log-delivery and X-Ray wildcard is acknowledged here."""
    role = PlatformRole(scope, id, assumed_by=iam.ServicePrincipal("states.amazonaws.com"), description=description)
    acknowledge(
        role,
        {
            "AwsSolutions-IAM5[Resource::*]": "CloudWatch Logs log delivery and X-Ray actions of Step Functions "
            "support no resource-level permissions",
        },
    )
    return role


def retry_transient(task: sfn.TaskStateBase) -> None:
    """Retry `task` on transient failures: 5 s, then backing off (x2, jittered), four attempts in all.

    Permanent failures (access denied, validation, malformed input) are not retried: they reach the
    task's Catch. Only for tasks whose handler is repeatable (deterministic names, idempotency tokens).
    """
    _retry_backing_off(task, TRANSIENT_TASK_ERRORS)


def retry_every_error(task: sfn.TaskStateBase, *, but: Sequence[str] = ()) -> None:
    """Retry every error of `task` but `but` (its Catch takes those at once): 5 s, then backing off (x2,
    jittered), five attempts in all.

    For a task whose call is repeatable and whose every failure may pass: an SDK call made by a role created in
    the same deployment as the events that start it (IAM takes seconds to propagate, so access denied too), a
    notification (a retried publish may arrive twice; SNS delivers at least once anyway). Example::

        create = tasks.CallAwsService(self, "CreateSchedule", service="sagemaker", ...)
        retry_every_error(create, but=["SageMaker.ResourceInUseException"])  # the Catch updates instead
        create.add_catch(update, errors=["SageMaker.ResourceInUseException"])
    """
    if but:
        task.add_retry(errors=list(but), max_attempts=0)
    _retry_backing_off(task, ["States.ALL"])


def retry_job_start(task: sfn.CustomState) -> None:
    """Retry a SageMaker `.sync` job task whose start call failed: 5 s, then backing off (x2, jittered), five
    attempts in all. A job that ran and failed (`States.TaskFailed`) is not retried: the task's Catch gets it.

    Only for a task whose job name is fixed per execution: when a start succeeded but its answer was lost,
    the retry is refused (ResourceInUse) instead of starting a second job. Example::

        tune = sfn.CustomState(self, "Tune", state_json={...})  # createHyperParameterTuningJob.sync
        retry_job_start(tune)
        tune.add_catch(notify_failure, errors=["States.ALL"])
    """
    _retry_backing_off(task, [SAGEMAKER_INTEGRATION_ERROR])


def _retry_backing_off(task: sfn.TaskStateBase | sfn.CustomState, errors: Sequence[str]) -> None:
    """Retry `errors` of `task`: 5 s, then backing off (x2, jittered), four retries (five attempts in all)."""
    task.add_retry(
        errors=list(errors),
        interval=cdk.Duration.seconds(5),
        max_attempts=4,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
