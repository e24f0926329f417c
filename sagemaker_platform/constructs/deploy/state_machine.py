"""The deploy state machine: staging (deploy → poll until InService → smoke test) → manual approval → prod,
or straight to prod/recording for a rollback; every outcome recorded by the record step.

Every function renders its states into `scope` (the `DeployPipeline`), so the construct paths, and the
state names derived from them, are those of the construct itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.deploy.settings import TRANSIENT_ERRORS, DeployTiming
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.workflow import state_machine_log_group, state_machine_role


def render_state_machine(
    scope: Construct,
    *,
    endpoint_fn: PlatformFunction,
    approval_fn: PlatformFunction,
    record_fn: PlatformFunction,
    platform_name: str,
    key: kms.IKey,
    timing: DeployTiming,
) -> sfn.StateMachine:
    """`StateMachine`: a Standard state machine with its log group and role, named for the platform."""
    failure, record_success, done = _record_steps(scope, record_fn)
    staging = _stage_map(scope, "staging", endpoint_fn, timing.poll_interval, smoke_test=True)
    staging.add_catch(failure, result_path="$.error")
    prod = _stage_map(scope, "prod", endpoint_fn, timing.poll_interval, smoke_test=False)
    prod.add_catch(failure, result_path="$.error")
    prod.next(done)
    approval = _approval_task(scope, approval_fn, timing.approval_timeout)
    approval.add_catch(failure, result_path="$.error")
    approval.next(prod)
    route = (
        sfn.Choice(scope, "RollbackOrApproval")
        .when(
            sfn.Condition.and_(
                sfn.Condition.string_equals("$.kind", "rollback"),
                sfn.Condition.boolean_equals("$.include_prod", True),
            ),
            prod,
        )
        .when(sfn.Condition.string_equals("$.kind", "rollback"), record_success)
        .otherwise(approval)
    )
    definition = staging.next(route)
    log_group = state_machine_log_group(scope, "StateMachineLogs", key=key)
    role = state_machine_role(scope, "StateMachineRole", description="Deploy state machine")
    return sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=naming.deploy_state_machine_name(platform_name),
        state_machine_type=sfn.StateMachineType.STANDARD,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        role=role,
        timeout=timing.approval_timeout.plus(timing.deploy_timeout)
        .plus(timing.deploy_timeout)
        .plus(cdk.Duration.hours(1)),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
    )


def lambda_task(
    scope: Construct, id: str, function: PlatformFunction, payload: Mapping[str, object], result_path: str = "$.record"
) -> tasks.LambdaInvoke:
    """A task invoking `function` with `payload`, its answer at `result_path`, retried as `add_task_retries` says."""
    task = tasks.LambdaInvoke(
        scope,
        id,
        lambda_function=function.function,
        payload=sfn.TaskInput.from_object(dict(payload)),
        payload_response_only=True,
        result_path=result_path,
        retry_on_service_exceptions=True,
    )
    add_task_retries(task)
    return task


def add_task_retries(task: tasks.LambdaInvoke) -> None:
    """Transient failures a few times with backoff; a refused AWS call twice more (the handler steps are repeatable)."""
    task.add_retry(errors=TRANSIENT_ERRORS, interval=cdk.Duration.seconds(5), max_attempts=4, backoff_rate=2)
    task.add_retry(errors=["AwsCallFailed"], interval=cdk.Duration.seconds(20), max_attempts=2, backoff_rate=2)


def _record_steps(
    scope: Construct, record_fn: PlatformFunction
) -> tuple[sfn.IChainable, tasks.LambdaInvoke, sfn.IChainable]:
    """The failure path (record, then fail), the success recording and the success path after it."""
    record_failure = lambda_task(
        scope, "RecordFailure", record_fn, {"outcome": "failed", "step": sfn.JsonPath.entire_payload}
    )
    failure = record_failure.next(sfn.Fail(scope, "DeploymentFailed", error="DeploymentFailed"))
    record_success = lambda_task(
        scope, "RecordSuccess", record_fn, {"outcome": "succeeded", "step": sfn.JsonPath.entire_payload}
    )
    # The endpoints already serve the version: a recording failure must not record the deployment as failed.
    # The execution fails (the ExecutionsFailed alarm tells people) and the claim stays as it was.
    record_success.add_catch(
        sfn.Fail(
            scope,
            "RecordingFailed",
            error="RecordingFailed",
            cause="the endpoints were updated, but recording the outcome failed; see the execution history",
        ),
        result_path="$.error",
    )
    done = record_success.next(sfn.Succeed(scope, "Deployed"))
    return failure, record_success, done


def _approval_task(scope: Construct, approval_fn: PlatformFunction, timeout: cdk.Duration) -> tasks.LambdaInvoke:
    """`RequestApproval`: waits for the task token the approval step hands to people (send-task-success)."""
    approval = tasks.LambdaInvoke(
        scope,
        "RequestApproval",
        lambda_function=approval_fn.function,
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload=sfn.TaskInput.from_object({"task_token": sfn.JsonPath.task_token, "step": sfn.JsonPath.entire_payload}),
        result_path="$.approval",
        task_timeout=sfn.Timeout.duration(timeout),
        retry_on_service_exceptions=True,
    )
    add_task_retries(approval)
    return approval


def _stage_map(
    scope: Construct, stage: str, endpoint_fn: PlatformFunction, poll_interval: cdk.Duration, *, smoke_test: bool
) -> sfn.Map:
    """A Map over the group's endpoints: deploy → (wait → status)* until InService → smoke test."""
    iterator = _endpoint_steps(scope, stage.capitalize(), endpoint_fn, poll_interval, smoke_test)
    stage_map = sfn.Map(
        scope,
        f"Deploy{stage.capitalize()}",
        items_path="$.endpoints",
        item_selector={
            "stage": stage,
            "endpoint": sfn.JsonPath.string_at("$$.Map.Item.Value.endpoint"),
            "smoke_test": sfn.JsonPath.string_at("$$.Map.Item.Value.smoke_test"),
            "model_package_arn": sfn.JsonPath.string_at("$.model_package_arn"),
            "execution_name": sfn.JsonPath.string_at("$.execution_name"),
        },
        result_path=f"$.{stage}",
        max_concurrency=5,
    )
    stage_map.item_processor(iterator)
    return stage_map


def _endpoint_steps(
    scope: Construct, title: str, endpoint_fn: PlatformFunction, poll_interval: cdk.Duration, smoke_test: bool
) -> sfn.IChainable:
    """One endpoint of a stage: deploy (retried while the endpoint is busy), poll until InService, smoke test."""

    def endpoint_action(verb: str, action: str, result_path: str) -> tasks.LambdaInvoke:
        # The endpoint function dispatches on `action`; each call carries the whole step (endpoint, package).
        payload = {"action": action, "step": sfn.JsonPath.entire_payload}
        return lambda_task(scope, f"{verb}{title}Endpoint", endpoint_fn, payload, result_path)

    deploy = endpoint_action("Deploy", "deploy", "$.deployment")
    deploy.add_retry(
        errors=["EndpointBusy"],
        interval=cdk.Duration.minutes(1),
        max_attempts=30,
        backoff_rate=1.5,
        max_delay=cdk.Duration.minutes(5),
    )
    wait = sfn.Wait(scope, f"Wait{title}Endpoint", time=sfn.WaitTime.duration(poll_interval))
    status = endpoint_action("Check", "status", "$.deployment")
    in_service: sfn.IChainable = sfn.Pass(scope, f"{title}EndpointInService")
    if smoke_test:
        in_service = endpoint_action("SmokeTest", "smoke_test", "$.smoke_test_result")
    ready = (
        sfn.Choice(scope, f"{title}EndpointReady")
        .when(sfn.Condition.string_equals("$.deployment.state", "InService"), in_service)
        .otherwise(wait)
    )
    return deploy.next(wait).next(status).next(ready)
