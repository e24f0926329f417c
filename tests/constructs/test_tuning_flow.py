"""The tuning state machine's data flow, run state by state: its JSONata expressions are evaluated with
jsonata-python, and the tasks answered with the request builder's own code and recorded service results.

What this checks that the structure tests cannot: the Tune task receives exactly the built request,
the register step receives the tuning job description and the register settings, and errors reach
the failure notification.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonata
import pytest

from sagemaker_platform import tuning_spec
from sagemaker_platform.constructs.workflow import SAGEMAKER_INTEGRATION_ERROR
from tests.asl_jsonpath import first_handler, next_retry
from tests.constructs.test_tuning import definition
from tests.support import default_config_raw
from tests.test_tuning_spec import ENV

# The sandbox config's spec, run through the default app's state machine.
SPEC = tuning_spec.parse_spec(default_config_raw()["tuning"][0])

EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:TuningPipeline:run-1"
REPORT = {
    "s3_uri": "s3://output/tuning/churn-xgb-run-1/report.html",
    "console_url": "https://us-east-1.console.aws.amazon.com/s3/object/output?region=us-east-1&prefix=tuning%2F...",
}


class TaskFailed(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


def evaluate(value: Any, states: dict[str, Any]) -> Any:
    """An ASL JSONata field: strings in {% %} are expressions over $states; objects and arrays recurse."""
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        expression = jsonata.Jsonata(value[2:-2].strip())
        expression.assign("states", states)
        return expression.evaluate(None)
    if isinstance(value, dict):
        return {key: evaluate(item, states) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, states) for item in value]
    return value


Task = Callable[[dict[str, Any]], Any]


def run(flow: dict[str, Any], execution_input: Any, tasks: dict[str, Task]) -> tuple[list[str], Any, dict[str, Any]]:
    """Execute the definition: (states visited, final output, arguments each task received)."""
    context = {"Execution": {"Id": EXECUTION_ID, "Input": execution_input}}
    name, state_input, visited, arguments = flow["StartAt"], execution_input, [], {}
    while True:
        state = flow["States"][name]
        visited.append(name)
        if state["Type"] == "Fail":
            return visited, None, arguments
        states = {"input": state_input, "context": context}
        args = evaluate(state.get("Arguments"), states)
        arguments[name] = args
        try:
            result = _with_retries(state, tasks[name], args)
        except TaskFailed as failure:
            catcher = first_handler(state.get("Catch", []), failure.error)
            assert catcher is not None, f"{name}: {failure.error} is not caught"
            error_output = {"Error": failure.error, "Cause": failure.cause}
            state_input = evaluate(
                catcher.get("Output", "{% $states.errorOutput %}"), {**states, "errorOutput": error_output}
            )
            name = catcher["Next"]
            continue
        output = evaluate(state.get("Output", "{% $states.result %}"), {**states, "result": result})
        if state.get("End"):
            return visited, output, arguments
        name, state_input = state["Next"], output


def _with_retries(state: dict[str, Any], task: Task, args: dict[str, Any]) -> Any:
    """`task(args)`, again for as long as the state's Retry says (the waits are not slept)."""
    retried: dict[int, int] = {}
    while True:
        try:
            return task(args)
        except TaskFailed as failure:
            if next_retry(state.get("Retry", []), failure.error, retried) is None:
                raise


def build_task(args: dict[str, Any]) -> dict[str, Any]:
    """What the RequestBuilder function returns (its logic is tuning_spec's), wrapped as Lambda's invoke result."""
    payload = args["Payload"]
    spec = tuning_spec.parse_spec(payload["specs"][payload["input"]["spec_name"]])
    request = tuning_spec.build_request(spec, ENV, payload["execution_id"])
    register = {"model_package_group": spec.model_package_group, "objective": {"metric": spec.objective_metric}}
    return {
        "Payload": {"request": request, "tuning_job_name": request["HyperParameterTuningJobName"], "register": register}
    }


def describe(args: dict[str, Any]) -> dict[str, Any]:
    """A DescribeHyperParameterTuningJob response for the job the request created (the .sync result)."""
    return {
        "HyperParameterTuningJobName": args["HyperParameterTuningJobName"],
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": {
            "TrainingJobName": f"{args['HyperParameterTuningJobName']}-003-abcdef12",
            "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:auc", "Value": 0.967},
        },
    }


REGISTERED = {"model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/churn/1"}


def successful_run(notify_registered: Task) -> dict[str, Task]:
    """The tasks of a run that tunes, reports and registers, with `notify_registered` as the last publish."""
    return {
        "BuildRequest": build_task,
        "Tune": describe,
        "WriteReport": lambda args: {"Payload": {"report": REPORT}},
        "RegisterBestModel": lambda args: {"Payload": REGISTERED},
        "NotifyRegistered": notify_registered,
    }


@pytest.fixture(scope="module")
def flow(default_templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return definition(default_templates["mlplatform-tuning"])


def test_given_a_spec_name_then_tune_gets_the_built_request_and_register_gets_the_description(
    flow: dict[str, Any],
) -> None:
    registered = REGISTERED
    visited, output, arguments = run(flow, {"spec_name": SPEC.name}, successful_run(lambda args: {"MessageId": "m-1"}))
    assert visited == ["BuildRequest", "Tune", "WriteReport", "RegisterBestModel", "NotifyRegistered"]
    assert arguments["WriteReport"]["Payload"] == {"tuning_job": arguments["Tune"]["HyperParameterTuningJobName"]}
    payload = arguments["BuildRequest"]["Payload"]
    assert payload["input"] == {"spec_name": SPEC.name} and payload["execution_id"] == EXECUTION_ID
    assert arguments["Tune"] == tuning_spec.build_request(SPEC, ENV, EXECUTION_ID)
    register_payload = arguments["RegisterBestModel"]["Payload"]
    assert register_payload["tuning"]["BestTrainingJob"]["TrainingJobName"].endswith("-003-abcdef12")
    assert register_payload["register"]["model_package_group"] == SPEC.model_package_group
    assert set(register_payload) == {"tuning", "register"}
    # the notification links the report (S3 URI and console page) next to the registered version
    assert json.loads(arguments["NotifyRegistered"]["Message"]) == {**registered, "report": REPORT}
    assert output == {**registered, "report": REPORT}


def test_given_the_report_cannot_be_written_then_the_model_is_still_registered_and_the_notice_says_why(
    flow: dict[str, Any],
) -> None:
    def report(args: dict[str, Any]) -> Any:
        raise TaskFailed("ClientError", "AccessDenied on PutObject")

    registered = {"model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/churn/1"}
    visited, _, arguments = run(
        flow,
        {"spec_name": SPEC.name},
        {
            "BuildRequest": build_task,
            "Tune": describe,
            "WriteReport": report,
            "RegisterBestModel": lambda args: {"Payload": registered},
            "NotifyRegistered": lambda args: {"MessageId": "m-1"},
        },
    )
    assert visited == ["BuildRequest", "Tune", "WriteReport", "RegisterBestModel", "NotifyRegistered"]
    assert arguments["RegisterBestModel"]["Payload"]["tuning"]["HyperParameterTuningJobStatus"] == "Completed"
    notice = json.loads(arguments["NotifyRegistered"]["Message"])
    assert notice["report"] == {"error": "ClientError", "cause": "AccessDenied on PutObject"}


def test_given_a_failed_tuning_job_then_the_failure_is_notified_and_the_execution_fails(
    flow: dict[str, Any],
) -> None:
    calls: list[dict[str, Any]] = []

    def tune(args: dict[str, Any]) -> Any:
        calls.append(args)
        raise TaskFailed("States.TaskFailed", "tuning job stopped")

    notified: list[dict[str, Any]] = []
    visited, output, _ = run(
        flow,
        {"spec_name": SPEC.name},
        {"BuildRequest": build_task, "Tune": tune, "NotifyFailure": lambda args: notified.append(args) or {}},
    )
    assert visited == ["BuildRequest", "Tune", "NotifyFailure", "Failed"] and output is None
    assert len(calls) == 1  # a job that ran and failed is not started again: the notice carries its own cause
    message = json.loads(notified[0]["Message"])
    assert message == {
        "execution": EXECUTION_ID,
        "error": {"Error": "States.TaskFailed", "Cause": "tuning job stopped"},
    }


def test_given_an_invalid_spec_then_no_tuning_job_is_started(flow: dict[str, Any]) -> None:
    def build(args: dict[str, Any]) -> Any:
        raise TaskFailed("InvalidSpecError", 'invalid tuning spec: `strategy` = "Genetic"')

    visited, _, arguments = run(
        flow, {"spec": {"strategy": "Genetic"}}, {"BuildRequest": build, "NotifyFailure": lambda args: {}}
    )
    assert visited == ["BuildRequest", "NotifyFailure", "Failed"] and "Tune" not in arguments


# One failure of each kind on each publish; the names are what Step Functions gives an SNS integration's failure.
SNS_FAULTS = ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.KMSThrottlingException", "States.Timeout"]


class FailsOnce:
    """A task that fails with `error` on its first call, then answers `result`; records every call's arguments."""

    def __init__(self, error: str, result: Any) -> None:
        self.error, self.result = error, result
        self.calls: list[dict[str, Any]] = []

    def __call__(self, args: dict[str, Any]) -> Any:
        self.calls.append(args)
        if len(self.calls) == 1:
            raise TaskFailed(self.error, "injected")
        return self.result


@pytest.mark.parametrize("fault", SNS_FAULTS)
def test_given_a_failing_publish_of_the_registered_model_then_it_is_retried_and_the_run_succeeds(
    flow: dict[str, Any], fault: str
) -> None:
    publish = FailsOnce(fault, {"MessageId": "m-1"})
    visited, output, _ = run(flow, {"spec_name": SPEC.name}, successful_run(publish))
    assert visited[-1] == "NotifyRegistered" and output == {**REGISTERED, "report": REPORT}
    assert len(publish.calls) == 2 and publish.calls[0] == publish.calls[1]  # the same notice, sent once it worked


@pytest.mark.parametrize("fault", SNS_FAULTS)
def test_given_a_failing_publish_of_a_failure_then_it_is_retried_and_the_notice_is_sent(
    flow: dict[str, Any], fault: str
) -> None:
    def tune(args: dict[str, Any]) -> Any:
        raise TaskFailed("States.TaskFailed", "tuning job stopped")

    publish = FailsOnce(fault, {"MessageId": "m-2"})
    visited, _, _ = run(
        flow, {"spec_name": SPEC.name}, {"BuildRequest": build_task, "Tune": tune, "NotifyFailure": publish}
    )
    assert visited == ["BuildRequest", "Tune", "NotifyFailure", "Failed"]
    assert len(publish.calls) == 2
    assert json.loads(publish.calls[1]["Message"])["error"] == {
        "Error": "States.TaskFailed",
        "Cause": "tuning job stopped",
    }


def test_given_a_throttled_or_refused_start_then_the_tuning_job_is_started_again_under_the_same_name(
    flow: dict[str, Any],
) -> None:
    # One failure of the start call (throttled, unavailable, access denied while a role propagates, connection
    # reset: the integration names them all SAGEMAKER_INTEGRATION_ERROR) must not lose the scheduled run.
    tune = FailsOnce(SAGEMAKER_INTEGRATION_ERROR, None)

    def start(args: dict[str, Any]) -> Any:
        tune(args)  # records the call; fails the first one
        return describe(args)  # the job the second call started

    tasks = {**successful_run(lambda args: {"MessageId": "m-3"}), "Tune": start}
    visited, output, _ = run(flow, {"spec_name": SPEC.name}, tasks)

    assert visited[-1] == "NotifyRegistered" and output == {**REGISTERED, "report": REPORT}
    # Retried with the same request: the same job name, so a retry after a lost success is refused, never doubled.
    assert len(tune.calls) == 2 and tune.calls[0] == tune.calls[1]
