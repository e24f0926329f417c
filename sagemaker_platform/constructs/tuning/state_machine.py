"""The tuning state machine: build the request → tune (`.sync`) → write the report → register the best
model → notify; any failure notifies and fails the execution.

Every function renders its states into `scope` (the `TuningPipeline`), so the construct paths, and the state
names derived from them, are those of the construct itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.tuning.grants import KEY_USE_ACTIONS, grant_tuning_sync
from sagemaker_platform.constructs.tuning.storage import TuningStorage
from sagemaker_platform.constructs.workflow import (
    retry_every_error,
    retry_job_start,
    retry_transient,
    state_machine_log_group,
    state_machine_role,
)


def render_state_machine(
    scope: Construct,
    *,
    storage: TuningStorage,
    topic: sns.ITopic,
    specs: Sequence[Any],
    build_fn: PlatformFunction,
    report_fn: PlatformFunction,
    register_fn: PlatformFunction,
) -> sfn.StateMachine:
    """`StateMachine` (Standard, JSONata, logged and encrypted with the storage key) with its role's grants."""
    notify_failure = _notify_failure(scope, topic)
    build, tune = _build_and_tune(scope, build_fn, specs, notify_failure)
    report, register = _report_and_register(scope, report_fn, register_fn, notify_failure)
    notify_success = tasks.SnsPublish.jsonata(
        scope,
        "NotifyRegistered",
        topic=topic,
        subject="Tuning pipeline registered a model",
        message=sfn.TaskInput.from_text("{% $string($states.input) %}"),
        outputs="{% $states.input %}",
    )
    # The model is registered: a throttled or failing publish must not fail the run and lose the notice.
    retry_every_error(notify_success)
    # A report that still cannot be written does not hold back the model: the notification says why.
    report.add_catch(
        register,
        errors=["States.ALL"],
        outputs="{% $merge([$states.input, {'report': {'error': $states.errorOutput.Error, "
        "'cause': $states.errorOutput.Cause}}]) %}",
    )
    definition = build.next(tune).next(report).next(register).next(notify_success)
    log_group = state_machine_log_group(scope, "ExecutionLogs", key=storage.key)
    role = state_machine_role(scope, "StateMachineRole", description="Tuning pipeline state machine")
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        query_language=sfn.QueryLanguage.JSONATA,
        state_machine_type=sfn.StateMachineType.STANDARD,
        role=role,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(storage.key),
    )
    grant_tuning_sync(scope, role, storage)
    # Step Functions encrypts execution data with the key: named actions, not grant_encrypt_decrypt's families.
    role.add_to_principal_policy(iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[storage.key.key_arn]))
    return state_machine


def _notify_failure(scope: Construct, topic: sns.ITopic) -> sfn.Chain:
    """`NotifyFailure` → `Failed`: what every caught error leads to (the publish retried, so the notice is sent)."""
    notify = tasks.SnsPublish.jsonata(
        scope,
        "NotifyFailure",
        topic=topic,
        subject="Tuning pipeline failed",
        message=sfn.TaskInput.from_text(
            "{% $string({'execution': $states.context.Execution.Id, 'error': $states.input}) %}"
        ),
    )
    retry_every_error(notify)
    return notify.next(sfn.Fail(scope, "Failed", error="TuningPipelineFailed", cause="see the notification"))


def _build_and_tune(
    scope: Construct, build_fn: PlatformFunction, specs: Sequence[Any], notify_failure: sfn.IChainable
) -> tuple[tasks.LambdaInvoke, sfn.CustomState]:
    """`BuildRequest` (the specs known at synth travel in its payload) and `Tune` (the `.sync` integration)."""
    stack = cdk.Stack.of(scope)
    build = tasks.LambdaInvoke.jsonata(
        scope,
        "BuildRequest",
        lambda_function=build_fn.function,
        payload=sfn.TaskInput.from_object(
            {
                "specs": {spec.name: spec.as_json() for spec in specs},
                "input": "{% $states.input %}",
                "execution_id": "{% $states.context.Execution.Id %}",
            }
        ),
        outputs="{% $states.result.Payload %}",
    )
    # A throttled or unavailable List of warm_start.parent_spec's jobs is retried; a missing parent
    # (ParentNotFoundError), a refused call or a bad spec is not.
    retry_transient(build)
    build.add_catch(notify_failure, errors=["States.ALL"])
    tune = sfn.CustomState(
        scope,
        "Tune",
        state_json={
            "Type": "Task",
            "Resource": f"arn:{stack.partition}:states:::sagemaker:createHyperParameterTuningJob.sync",
            # The whole validated request: optional parts (WarmStartConfig, ...) appear only when set.
            "Arguments": "{% $states.input.request %}",
            "Output": "{% {'tuning': $states.result, 'register': $states.input.register} %}",
        },
    )
    # A throttled or refused start is retried; the job name derives from the execution id, so a retry never
    # starts a second job. Failed or Stopped tuning jobs fail the task: notify, then fail the execution.
    retry_job_start(tune)
    tune.add_catch(notify_failure, errors=["States.ALL"])
    return build, tune


def _report_and_register(
    scope: Construct, report_fn: PlatformFunction, register_fn: PlatformFunction, notify_failure: sfn.IChainable
) -> tuple[tasks.LambdaInvoke, tasks.LambdaInvoke]:
    """`WriteReport` and `RegisterBestModel`, both retried on transient errors (each is repeatable)."""
    # The report goes next to the tuning output; its links travel with the state to the notification.
    report = tasks.LambdaInvoke.jsonata(
        scope,
        "WriteReport",
        lambda_function=report_fn.function,
        payload=sfn.TaskInput.from_object({"tuning_job": "{% $states.input.tuning.HyperParameterTuningJobName %}"}),
        outputs="{% $merge([$states.input, $states.result.Payload]) %}",
    )
    retry_transient(report)
    register = tasks.LambdaInvoke.jsonata(
        scope,
        "RegisterBestModel",
        lambda_function=register_fn.function,
        payload=sfn.TaskInput.from_object(
            {"tuning": "{% $states.input.tuning %}", "register": "{% $states.input.register %}"}
        ),
        outputs="{% $merge([$states.result.Payload, {'report': $states.input.report}]) %}",
    )
    # Repeatable: the artifact copy rewrites the same key, CreateModelPackage has a ClientToken.
    retry_transient(register)
    register.add_catch(notify_failure, errors=["States.ALL"])
    return report, register
