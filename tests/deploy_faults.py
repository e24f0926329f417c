"""The deploy handlers' fault matrix: each scenario's AWS calls x each fault kind, then the platform's retry.

A scenario sets a world up (fault-free), then runs one handler invocation the way the platform runs it:
Lambda's asynchronous retries (start, reject: the same event up to 3 times, then the DLQ), or a Step
Functions task retry (record, approval, endpoint: again while the error's name is in the task's Retry list;
RecordSuccess then goes to its Catch). The final state must equal the fault-free one, and each scenario's
oracle must hold (ordering: an older approval changes nothing; a record step twice announces once).

Used by tests/lambda/test_deploy_faults.py and bench/handler_faults_deploy.py (which also measures the
original handlers by importing them from another folder).
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from botocore.awsrequest import AWSResponse

from tests.deploy_support import GROUP, REGION, package_event
from tests.deploy_world import State, World, register, world
from tests.faults import ALL_KINDS, Fault, FaultKind, attempt, fault_plan, inject, record_calls

LAMBDA_ASYNC_ATTEMPTS = 3  # the first invocation and Lambda's two retries; then the function's DLQ
SFN_TASK_ATTEMPTS = 4


def task_retry_errors() -> tuple[set[str], bool]:
    """The error names the deploy state machine's Lambda tasks retry, and whether RecordSuccess's Catch runs
    RecordFailure. Read from the construct (the constants its definition is rendered from)."""
    from sagemaker_platform.constructs import deploy

    retried = set(getattr(deploy, "TASK_RETRY_ERRORS", deploy.THROTTLED_ERRORS))
    return retried, not hasattr(deploy, "TASK_RETRY_ERRORS")


def event(arn: str, status: str = "Approved", time: str | None = None, event_id: str | None = None) -> dict[str, Any]:
    built = package_event(version=int(arn.rsplit("/", 1)[1]), status=status, time=time)
    if event_id is not None:
        built["id"] = event_id
    return built


def lambda_async(action: Callable[[], Any]) -> Callable[[], BaseException | None]:
    """Run as Lambda runs an asynchronous invocation: retried on any error; the last error (the DLQ) or None."""

    def run() -> BaseException | None:
        error: BaseException | None = None
        for _ in range(LAMBDA_ASYNC_ATTEMPTS):
            _, error = attempt(action)
            if error is None:
                return None
        return error

    return run


def sfn_task(action: Callable[[], Any], catch: Callable[[BaseException], Any] | None = None) -> Callable[[], Any]:
    """Run as a Step Functions Lambda task: retried while the error's name is in the Retry list, then the Catch."""

    def run() -> BaseException | None:
        retried, _ = task_retry_errors()
        error: BaseException | None = None
        for _ in range(SFN_TASK_ATTEMPTS):
            _, error = attempt(action)
            if error is None or type(error).__name__ not in retried:
                break
        if error is not None and catch is not None:
            _, error = attempt(lambda: catch(error))
        return error

    return run


# --- the steps, as the state machine hands them their input -------------------------------------


def started_input(created: World, version: int) -> dict[str, Any]:
    sfn = created.client("stepfunctions")
    for execution in sfn.list_executions(stateMachineArn=_state_machine())["executions"]:
        payload = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
        if payload["version"] == version and payload["kind"] == "deploy":
            return dict(payload)
    raise AssertionError(f"no execution of v{version}")


def _state_machine() -> str:
    from deployer import aws

    return aws.setting("STATE_MACHINE_ARN")


def record(step: dict[str, Any], outcome: str = "succeeded", error: str | None = None) -> Any:
    from deployer import record as handler

    payload = dict(step)
    if error is not None:
        payload["error"] = {"Error": error, "Cause": "injected"}
    return handler.handler({"outcome": outcome, "step": payload}, None)


def record_success(step: dict[str, Any]) -> Callable[[], Any]:
    """RecordSuccess with its Retry, then its Catch (the original definition sent it on to RecordFailure)."""
    _, catch_records_failure = task_retry_errors()

    def catch(error: BaseException) -> Any:
        return record(step, "failed", type(error).__name__) if catch_records_failure else None

    return sfn_task(lambda: record(step), catch)


def deploy_version(created: World, arn: str, token: str, *, endpoints: bool = False) -> dict[str, Any]:
    """Approve and run v's deployment to DEPLOYED (no faults); the endpoint steps only if `endpoints`
    (the other scenarios look at claims, executions and announcements, not at the endpoints)."""
    from deployer import approval, start

    started = start.handler(event(arn), None)
    step = started_input(created, int(arn.rsplit("/", 1)[1]))
    assert started["started"] is True
    if endpoints:
        run_stage(step, "staging")
    approval.handler({"task_token": token, "step": step}, None)
    if endpoints:
        run_stage(step, "prod")
    record(step)
    return step


def run_stage(step: dict[str, Any], stage: str) -> None:
    from deployer import endpoint

    item = {
        "stage": stage,
        "endpoint": step["endpoints"][0]["endpoint"],
        "smoke_test": None,
        "model_package_arn": step["model_package_arn"],
        "execution_name": step["execution_name"],
    }
    item["deployment"] = endpoint.handler({"action": "deploy", "step": item}, None)
    while item["deployment"]["state"] != "InService":
        item["deployment"] = endpoint.handler({"action": "status", "step": item}, None)
    step[stage] = [item]


# --- scenarios ----------------------------------------------------------------------------------


@dataclass
class Scenario:
    handler: str
    name: str
    setup: Callable[[World], Callable[[], Any]]
    """Builds the world's past (fault-free) and returns the invocation under test, run as the platform runs it."""
    oracle: Callable[[State], str | None] = lambda state: None
    """A problem the fault-free run must not have either (ordering, duplicates), or None."""
    extra: Callable[[World], Any] = lambda created: None
    """More state to compare (the endpoints)."""


def _approve_v1(created: World) -> Callable[[], Any]:
    from deployer import start

    arn = register(created)
    return lambda_async(lambda: start.handler(event(arn), None))


def _approve_v2_while_v1_waits(created: World) -> Callable[[], Any]:
    from deployer import approval, start

    first = register(created)
    start.handler(event(first), None)
    approval.handler({"task_token": "token-v1", "step": started_input(created, 1)}, None)
    second = register(created)
    return lambda_async(lambda: start.handler(event(second), None))


def _approve_v1_after_v2_deployed(created: World) -> Callable[[], Any]:
    from deployer import start

    first = register(created)
    second = register(created)
    deploy_version(created, second, "token-v2")
    return lambda_async(lambda: start.handler(event(first), None))


def _no_v1_execution(state: State) -> str | None:
    started = [key for key in state.executions if key[1] == 1]
    return f"an older approval started {started}" if started else None


def _reject_v2_after_v1_deployed(created: World) -> Callable[[], Any]:
    from deployer import reject

    first = register(created)
    deploy_version(created, first, "token-v1")
    second = register(created)
    deploy_version(created, second, "token-v2")
    return lambda_async(lambda: reject.handler(event(second, "Rejected"), None))


def _reject_v1_while_waiting(created: World) -> Callable[[], Any]:
    from deployer import approval, reject, start

    first = register(created)
    start.handler(event(first), None)
    approval.handler({"task_token": "token-v1", "step": started_input(created, 1)}, None)
    return lambda_async(lambda: reject.handler(event(first, "Rejected"), None))


def _record_success(created: World) -> Callable[[], Any]:
    from deployer import approval, start

    first = register(created)
    start.handler(event(first), None)
    step = started_input(created, 1)
    approval.handler({"task_token": "token-v1", "step": step}, None)
    return record_success(step)


def _record_success_twice(created: World) -> Callable[[], Any]:
    run = _record_success(created)
    return lambda: (run(), run())[-1]


def _announced_once(state: State) -> str | None:
    repeated = {key: count for key, count in (state.events + state.notifications).items() if count > 1}
    return f"announced more than once: {repeated}" if repeated else None


def _record_failure(created: World) -> Callable[[], Any]:
    from deployer import start

    first = register(created)
    start.handler(event(first), None)
    step = started_input(created, 1)
    return sfn_task(lambda: record(step, "failed", "SmokeTestFailed"))


def _late_failure_after_deployed(created: World) -> Callable[[], Any]:
    first = register(created)
    step = deploy_version(created, first, "token-v1")
    return sfn_task(lambda: record(step, "failed", "States.Timeout"))


def _stays_deployed(state: State) -> str | None:
    status = state.claims.get(("1", "deployment"))
    return None if status == "DEPLOYED" else f"a late failure turned DEPLOYED into {status}"


def _approval(created: World) -> Callable[[], Any]:
    from deployer import approval, start

    first = register(created)
    start.handler(event(first), None)
    step = started_input(created, 1)
    run_stage(step, "staging")
    return sfn_task(lambda: approval.handler({"task_token": "token-v1", "step": step}, None))


def _endpoints(created: World) -> Any:
    sagemaker = created.client("sagemaker")
    return sorted(
        (item["EndpointName"], sagemaker.describe_endpoint(EndpointName=item["EndpointName"])["EndpointConfigName"])
        for item in sagemaker.list_endpoints()["Endpoints"]
    )


def _deploy_step(version_to_deploy: int) -> Callable[[World], Callable[[], Any]]:
    def setup(created: World) -> Callable[[], Any]:
        from deployer import endpoint, start

        arns = [register(created) for _ in range(version_to_deploy)]
        if version_to_deploy > 1:
            deploy_version(created, arns[0], "token-v1", endpoints=True)
        start.handler(event(arns[-1]), None)
        step = started_input(created, version_to_deploy)
        item = {
            "stage": "staging",
            "endpoint": step["endpoints"][0]["endpoint"],
            "smoke_test": None,
            "model_package_arn": step["model_package_arn"],
            "execution_name": step["execution_name"],
        }
        return sfn_task(lambda: endpoint.handler({"action": "deploy", "step": item}, None))

    return setup


def _trigger(target: str) -> Callable[[World], Callable[[], Any]]:
    def setup(created: World) -> Callable[[], Any]:
        from deployer import start

        arn = register(created)
        return lambda_async(lambda: start.handler(event(arn), None))

    return setup


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("start", "approve v1", _approve_v1),
    Scenario("start", "approve v2 while v1 waits for prod approval", _approve_v2_while_v1_waits),
    Scenario("start", "approve v1 after v2 was deployed", _approve_v1_after_v2_deployed, _no_v1_execution),
    Scenario("reject", "reject v2 after v1 and v2 were deployed", _reject_v2_after_v1_deployed),
    Scenario("reject", "reject v1 while it waits for prod approval", _reject_v1_while_waiting),
    Scenario("record", "record success", _record_success),
    Scenario("record", "record success twice", _record_success_twice, _announced_once),
    Scenario("record", "record failure", _record_failure),
    Scenario("record", "late failure after deployed", _late_failure_after_deployed, _stays_deployed),
    Scenario("approval", "request approval", _approval),
    Scenario("endpoint", "create the staging endpoint", _deploy_step(1), extra=_endpoints),
    Scenario("endpoint", "update the staging endpoint in place", _deploy_step(2), extra=_endpoints),
    Scenario("triggers", "trigger MWAA", _trigger("mwaa")),
    Scenario("triggers", "trigger GitLab", _trigger("gitlab")),
)


# --- CI triggers: MWAA is answered by a hook (moto has no InvokeRestApi), GitLab by a fake urlopen ---------


@dataclass
class FakeCi:
    runs: Counter[str] = field(default_factory=Counter)

    def mwaa(self, client: Any) -> None:
        requested: list[str] = []

        def capture(params: dict[str, Any], **_: Any) -> None:
            requested.append(str(params["Body"]["dag_run_id"]))

        def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            run_id = requested[-1]
            self.runs[run_id] += 1
            status = 200 if self.runs[run_id] == 1 else 409  # Airflow refuses a second run with the same id
            return AWSResponse("", 200, {}, None), {"RestApiStatusCode": status, "RestApiResponse": {}}

        client.meta.events.register("before-parameter-build.mwaa.InvokeRestApi", capture)
        client.meta.events.register("before-call.mwaa.InvokeRestApi", respond)

    def urlopen(self, request: urllib.request.Request, timeout: float = 0) -> Any:
        self.runs["gitlab"] += 1
        response = mock.MagicMock()
        response.__enter__.return_value.read.return_value = json.dumps({"id": self.runs["gitlab"]}).encode()
        return response


def _ci_environment(target: str, created: World, ci: FakeCi) -> dict[str, str]:
    if target == "mwaa":
        return {"DEPLOY_TARGET": "mwaa", "MWAA_ENVIRONMENT": "airflow", "MWAA_DAG_ID": "deploy"}
    secret = created.client("secretsmanager").create_secret(Name="gitlab-token", SecretString="glptt-x")["ARN"]
    return {
        "DEPLOY_TARGET": "gitlab",
        "GITLAB_TOKEN_SECRET": secret,
        "GITLAB_URL": "https://gitlab.example.com",
        "GITLAB_PROJECT_ID": "ml/churn",
        "GITLAB_REF": "main",
    }


# --- running the matrix -------------------------------------------------------------------------


@dataclass
class Outcome:
    fault: Fault | None
    problems: list[str]
    untyped: bool


def _run_once(scenario: Scenario, fault: Fault | None) -> tuple[State, Any, BaseException | None, bool, list[Any]]:
    """Set the world up, run the invocation (with the fault), settle; the state and what happened."""
    with world() as created:
        ci = FakeCi()
        patches: list[Any] = []
        if scenario.handler == "triggers":
            target = "mwaa" if "MWAA" in scenario.name else "gitlab"
            patches.append(mock.patch.dict("os.environ", _ci_environment(target, created, ci)))
            patches.append(mock.patch.object(urllib.request, "urlopen", ci.urlopen))
            from deployer import aws

            aws.reset()  # new clients, hooked to this run's fake CI
            real = aws.client_factory

            def factory(service: str, credentials: dict[str, str] | None = None) -> Any:
                client = real(service, credentials)
                if service == "mwaa":
                    ci.mwaa(client)
                return client

            patches.append(mock.patch.object(aws, "client_factory", factory))
        for patch in patches:
            patch.start()
        try:
            run = scenario.setup(created)
            created.state()  # drain what the setup announced
            calls: list[Any] = []
            fired = True
            if fault is None:
                calls = record_calls(lambda: attempt(run))
                error = None
            else:
                with inject(fault) as injection:
                    error = run()
                fired = injection.fired
            state = created.state()
            extra = scenario.extra(created)
        finally:
            for patch in reversed(patches):
                patch.stop()
    state = State(
        state.claims,
        state.executions,
        state.events,
        state.notifications | Counter(dict(ci.runs)),
        state.task_failures,
        state.endpoint_updates,
    )
    return state, extra, error, fired, calls


def _differences(expected: State, got: State, expected_extra: Any, got_extra: Any) -> list[str]:
    problems = []
    for name in ("executions", "events", "notifications"):
        want, have = getattr(expected, name), getattr(got, name)
        if have - want:
            problems.append(f"duplicated {name}: {dict(have - want)}")
        if want - have:
            problems.append(f"lost {name}: {dict(want - have)}")
    if expected.task_failures - got.task_failures:
        problems.append(f"lost task failures: {sorted(expected.task_failures - got.task_failures)}")
    for key, status in expected.claims.items():
        found = got.claims.get(key)
        if found != status:
            kind = "stuck" if found in ("DEPLOYING", "TRIGGERED") else "lost" if found is None else "regressed"
            problems.append(f"{kind} claim {key}: {found}, fault-free {status}")
    if expected_extra != got_extra:
        problems.append(f"regressed endpoints: {got_extra}, fault-free {expected_extra}")
    return problems


def _typed(error: BaseException | None) -> bool:
    from deployer.errors import DeployError

    return error is None or isinstance(error, DeployError)


def run_scenario(scenario: Scenario, kinds: tuple[FaultKind, ...] = ALL_KINDS) -> tuple[list[Outcome], list[str]]:
    """Every single fault on the scenario's calls; the outcomes, and the fault-free run's own oracle problems."""
    expected, expected_extra, _, _, calls = _run_once(scenario, None)
    oracle = scenario.oracle(expected)
    outcomes = []
    for fault in fault_plan(calls, kinds):
        got, got_extra, error, fired, _ = _run_once(scenario, fault)
        if not fired:
            continue
        problems = _differences(expected, got, expected_extra, got_extra)
        if (problem := scenario.oracle(got)) is not None:
            problems.append(problem)
        outcomes.append(Outcome(fault, problems, untyped=not _typed(error)))
    return outcomes, [] if oracle is None else [oracle]


__all__ = ["GROUP", "REGION", "SCENARIOS", "Outcome", "Scenario", "run_scenario"]
