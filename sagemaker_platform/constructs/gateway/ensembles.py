"""The state machine of each ensemble: one parallel level per DAG layer, each step a task-token call."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from sagemaker_platform.constructs.workflow import retry_transient, state_machine_log_group, state_machine_role
from sagemaker_platform.ensembles import EnsembleSpec, StepSpec, levels


def render_state_machine(
    scope: Construct,
    ensemble: EnsembleSpec,
    *,
    platform_name: str,
    step_function: lambda_.IFunction,
    step_timeout: cdk.Duration,
    key: kms.IKey,
) -> sfn.StateMachine:
    """`Ensemble-<name>/StateMachine`: runs the ensemble's levels in order, reports failure or the finish."""
    ensemble_scope = Construct(scope, f"Ensemble-{ensemble.name}")
    definition = _render_definition(ensemble_scope, ensemble, step_function, step_timeout)
    log_group = state_machine_log_group(ensemble_scope, "Logs", key=key)
    role = state_machine_role(
        ensemble_scope,
        "Role",
        description=f"Ensemble {ensemble.name} of the {platform_name} inference gateway (Step Functions)",
    )
    return sfn.StateMachine(
        ensemble_scope,
        "StateMachine",
        state_machine_name=f"{platform_name}-gateway-{ensemble.name}",
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        role=role,
        tracing_enabled=True,
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        timeout=cdk.Duration.days(1),
        comment=f"Ensemble {ensemble.name}: {len(ensemble.steps)} steps, output {ensemble.output}",
    )


def _render_definition(
    scope: Construct, ensemble: EnsembleSpec, step_function: lambda_.IFunction, step_timeout: cdk.Duration
) -> sfn.IChainable:
    fail = sfn.Fail(scope, "Failed", error="EnsembleFailed", cause=f"a step of ensemble {ensemble.name} failed")
    report_failure = _render_task(
        scope, "ReportFailure", step_function, {"action": "fail", "error": sfn.JsonPath.object_at("$.error")}
    ).next(fail)
    chain: sfn.IChainable | None = None
    for index, layer in enumerate(levels(ensemble), start=1):
        parallel = sfn.Parallel(
            scope, f"Level{index}", comment=", ".join(step.name for step in layer), result_path=sfn.JsonPath.DISCARD
        )
        for step in layer:
            parallel.branch(_render_step(scope, step, step_function, step_timeout))
        parallel.add_catch(report_failure, result_path="$.error")
        chain = parallel if chain is None else chain.next(parallel)  # type: ignore[attr-defined]
    finish = _render_task(scope, "Finish", step_function, {"action": "finish", "output_step": ensemble.output})
    finish.add_catch(report_failure, result_path="$.error")
    assert chain is not None
    return chain.next(finish)  # type: ignore[attr-defined, no-any-return]


def _render_task(
    scope: Construct, id: str, step_function: lambda_.IFunction, payload: dict[str, Any]
) -> tasks.LambdaInvoke:
    """A request-response call of the step function about the execution's prediction (repeatable: retried)."""
    task = tasks.LambdaInvoke(
        scope,
        id,
        lambda_function=step_function,
        payload=sfn.TaskInput.from_object({**payload, "prediction_id": sfn.JsonPath.string_at("$.prediction_id")}),
        result_path=sfn.JsonPath.DISCARD,
    )
    retry_transient(task)
    return task


def _render_step(
    scope: Construct, step: StepSpec, step_function: lambda_.IFunction, step_timeout: cdk.Duration
) -> sfn.IChainable:
    """A step: the step function invokes the step's service and the notify function returns the task token.

    A retried step task carries a new token; the step handler points the step's record at it.
    """
    task = tasks.LambdaInvoke(
        scope,
        f"Step-{step.name}",
        lambda_function=step_function,
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload=sfn.TaskInput.from_object(
            {
                "action": "step",
                "prediction_id": sfn.JsonPath.string_at("$.prediction_id"),
                "step": step.name,
                "service": step.service,
                "inputs": [list(pair) for pair in step.inputs],
                "task_token": sfn.JsonPath.task_token,
            }
        ),
        task_timeout=sfn.Timeout.duration(step_timeout),
        result_path=sfn.JsonPath.DISCARD,
    )
    retry_transient(task)
    return task
