"""Deploy handlers under a single fault on each AWS call: nothing lost, duplicated, stuck or regressed.

Each scenario (tests/deploy_faults.py) runs once fault-free, then once per (AWS call occurrence x fault kind)
with that one call failing, followed by the retry the platform makes (Lambda's asynchronous retries for
start and reject, the state machine's Retry and Catch for the steps). The final state (claims, executions,
events, notifications, superseded waits, endpoints) must equal the fault-free one.

The suite runs the AccessDenied column of the matrix: the one kind that leaves the handler and must be
completed by the platform's retry. Throttling, ServiceUnavailable and connection errors are retried inside
`aws.call` (asserted below for every kind on any call), so one of them never leaves the handler;
`python -m bench handler_faults_deploy` runs all four kinds on every scenario.

moto runs in-process; it has no UpdateEndpoint, which a botocore hook answers (a stub) while swapping the
endpoint's config in moto (tests/deploy_world.py). CI triggers: MWAA's InvokeRestApi is answered by a hook,
GitLab by a fake `urlopen`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.deploy_faults import SCENARIOS, Scenario, run_scenario
from tests.deploy_world import shutdown
from tests.faults import ALL_KINDS, Call, Fault, FaultKind, inject

from deployer import aws  # isort: skip
from deployer.errors import AwsCallFailed  # isort: skip


@pytest.fixture(scope="module", autouse=True)
def _one_mock_for_the_module() -> Iterator[None]:
    yield
    shutdown()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s.handler}: {s.name}" for s in SCENARIOS])
def test_given_one_fault_on_any_call_when_the_platform_retries_then_the_outcome_equals_the_fault_free_one(
    scenario: Scenario,
) -> None:
    outcomes, oracle = run_scenario(scenario, (FaultKind.ACCESS_DENIED,))

    assert oracle == []  # the fault-free run itself: ordering respected, announced once
    assert outcomes, "the scenario made no AWS call to fail"
    failures = {str(outcome.fault): outcome.problems for outcome in outcomes if outcome.problems}
    assert failures == {}
    assert [str(outcome.fault) for outcome in outcomes if outcome.untyped] == []


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_given_one_fault_of_a_kind_on_a_call_then_aws_call_retries_it_unless_the_call_was_refused(
    kind: FaultKind,
) -> None:
    from tests.deploy_world import world

    with world() as created, inject(Fault(Call("sns", "ListTopics"), kind)) as injection:
        try:
            topics = aws.call(aws.client("sns"), "list_topics")["Topics"]
        except AwsCallFailed as exc:
            assert kind is FaultKind.ACCESS_DENIED and isinstance(exc.__cause__, ClientError)
        else:
            assert kind is not FaultKind.ACCESS_DENIED and len(topics) == 1
    assert injection.fired and created
