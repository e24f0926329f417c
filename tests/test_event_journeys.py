"""Model package events followed hop by hop through the CLI-synthesized templates (issue 13, point 6).

Each sample event starts where SageMaker emits it, on the registry account's default bus, and is routed by
`tests.event_journeys.follow`: forwarding rule → the tooling account's model-events bus (forwarder role
policy, bus policy) → the deploy pipeline's rules → the handler. A journey that should reach a handler and
does not fails naming the hop where it stopped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy_support import EVENTS
from tests.event_journeys import JourneyBroken, Stack, expect_arrival, follow, matches

ACCOUNT = "<AWS::AccountId>"  # the sandbox: every stack in the deploying account
REGISTRY, TOOLING, DEV = "222222222222", "111111111111", "333333333333"
ORG = "o-a1b2c3d4e5"
MODEL_EVENTS_BUS = "mlplatform-model-events"


def state_change(status: str, group: str = "churn", account: str = REGISTRY, version: int = 3) -> dict[str, Any]:
    """A 'SageMaker Model Package State Change' event as SageMaker emits it in `account`."""
    event: dict[str, Any] = json.loads((EVENTS / "registry_model_package_state_change.json").read_text())
    arn = f"arn:aws:sagemaker:eu-west-1:{account}:model-package/{group}/{version}"
    event |= {"account": account, "resources": [arn]}
    event["detail"] |= {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelPackageArn": arn,
        "ModelApprovalStatus": status,
    }
    return event


def in_org(event: dict[str, Any]) -> dict[str, Any]:
    """The event as sent by a principal of the organization (the `aws:PrincipalOrgID` the bus policy checks)."""
    return event | {"_org": ORG}


# --- the EventBridge pattern matcher itself -------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"a": ["x", "y"]}, {"a": "y"}, True),
        ({"a": ["x"]}, {"a": "z"}, False),
        ({"a": ["x"]}, {}, False),
        ({"a": ["x"]}, {"a": ["z", "x"]}, True),  # an array field matches when any element does
        ({"a": [{"prefix": "arn:aws:"}]}, {"a": "arn:aws:s3"}, True),
        ({"a": [{"suffix": ".csv"}]}, {"a": "x.json"}, False),
        ({"a": [{"anything-but": ["Rejected"]}]}, {"a": "Approved"}, True),
        ({"a": [{"anything-but": ["Rejected"]}]}, {"a": "Rejected"}, False),
        ({"a": [{"anything-but": {"prefix": "tmp/"}}]}, {"a": "tmp/x"}, False),
        ({"a": [{"exists": True}]}, {"a": 0}, True),
        ({"a": [{"exists": False}]}, {"a": 0}, False),
        ({"a": [{"exists": False}]}, {"b": 1}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 6}, False),
        ({"a": [1]}, {"a": "1"}, False),  # types matter
        ({"d": {"s": ["x"]}}, {"d": {"s": "x"}}, True),
        ({"d": {"s": ["x"]}}, {"d": "x"}, False),
        ({"d": {"$or": [{"s": ["A"]}, {"s": ["R"], "g": ["churn"]}]}}, {"d": {"s": "R", "g": "churn"}}, True),
        ({"d": {"$or": [{"s": ["A"]}, {"s": ["R"], "g": ["churn"]}]}}, {"d": {"s": "R", "g": "fraud"}}, False),
        ({"d": {"$or": [{"s": ["A"]}, {"s": ["R"], "g": ["churn"]}]}}, {"d": {"s": "A", "g": "fraud"}}, True),
    ],
)
def test_the_pattern_matcher_follows_eventbridge_semantics(
    pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, event) is expected


# --- multi-account: registry account → tooling account ----------------------------------------------


def test_given_an_approved_version_then_it_reaches_the_deploy_start_in_the_tooling_account(
    cli_multi_account_stacks: list[Stack],
) -> None:
    event = in_org(state_change("Approved"))
    journey = follow(cli_multi_account_stacks, event, account=REGISTRY)
    start = expect_arrival(journey, event, DEPLOY_HANDLER="start", DEPLOY_TARGET="state-machine")
    assert start.stack == "mlplatform-deploy"
    # The example's GitLab and MWAA triggers are started by the same approval, nothing else.
    handlers = sorted(
        (a.environment.get("DEPLOY_HANDLER"), a.environment.get("DEPLOY_TARGET")) for a in journey.arrivals
    )
    assert handlers == [("start", "gitlab"), ("start", "mwaa"), ("start", "state-machine")]


def test_given_a_rejected_version_of_a_deployed_group_then_the_reject_handler_runs_in_the_tooling_account(
    cli_multi_account_stacks: list[Stack],
) -> None:
    event = in_org(state_change("Rejected"))
    journey = follow(cli_multi_account_stacks, event, account=REGISTRY)
    reject = expect_arrival(journey, event, DEPLOY_HANDLER="reject")
    assert reject.stack == "mlplatform-deploy"
    assert [a.environment.get("DEPLOY_HANDLER") for a in journey.arrivals] == ["reject"]
    # Hop by hop: registry rule, forwarder role, bus policy, tooling rule, function.
    assert [hop.split(" ", 1)[0] for hop in journey.trail] == ["rule", "forwarder", "bus", "rule", "function"]


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (state_change("PendingManualApproval"), "registered, not yet decided"),
        (state_change("Rejected", group="fraud-detection"), "a group no endpoint deploys"),
        (state_change("Approved", group="unlisted"), "a group the registry does not declare"),
        (state_change("Approved", account=DEV), "emitted in another account (dev), not the registry"),
    ],
)
def test_given_an_event_the_platform_does_not_act_on_then_it_reaches_no_handler(
    cli_multi_account_stacks: list[Stack], event: dict[str, Any], why: str
) -> None:
    journey = follow(cli_multi_account_stacks, in_org(event), account=event["account"])
    assert journey.arrivals == [], why


def test_given_an_approved_version_of_a_group_nothing_deploys_then_it_stops_at_the_tooling_rules(
    cli_multi_account_stacks: list[Stack],
) -> None:
    event = in_org(state_change("Approved", group="fraud-detection"))
    journey = follow(cli_multi_account_stacks, event, account=REGISTRY)
    assert journey.arrivals == []
    assert journey.trail[-1].startswith("bus policy of mlplatform-model-events/")  # forwarded, then no rule matched


def test_given_a_sender_outside_the_organization_then_the_bus_policy_refuses_the_forwarded_event(
    cli_multi_account_stacks: list[Stack],
) -> None:
    event = state_change("Approved")  # no aws:PrincipalOrgID in the request context
    with pytest.raises(JourneyBroken, match="hop 'bus policy of mlplatform-model-events/"):
        follow(cli_multi_account_stacks, event, account=REGISTRY)


def test_given_another_accounts_event_put_on_the_tooling_bus_then_no_deploy_rule_matches(
    cli_multi_account_stacks: list[Stack],
) -> None:
    """Past the bus policy (say, a misconfigured one), the tooling rules still accept only the registry account."""
    event = in_org(state_change("Approved", account=DEV))
    journey = follow(cli_multi_account_stacks, event, bus=MODEL_EVENTS_BUS, account=TOOLING)
    assert journey.arrivals == []


def test_a_broken_journey_names_the_hop_where_it_stopped(cli_multi_account_stacks: list[Stack]) -> None:
    """Fault injected: the tooling bus loses its policy; the Rejected journey stops there, and says so."""
    broken = []
    for stack in cli_multi_account_stacks:
        template = json.loads(json.dumps(stack.template))
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Events::EventBus":
                resource["Properties"].pop("Policy", None)
        broken.append(Stack(stack.name, stack.account, template))
    with pytest.raises(JourneyBroken, match="hop 'bus policy of mlplatform-model-events/"):
        follow(broken, in_org(state_change("Rejected")), account=REGISTRY)


# --- the single-account sandbox (cdk.json) ----------------------------------------------------------


@pytest.mark.parametrize(("status", "handler"), [("Approved", "start"), ("Rejected", "reject")])
def test_given_the_sandbox_then_approved_and_rejected_versions_reach_their_handlers(
    cli_default_stacks: list[Stack], status: str, handler: str
) -> None:
    event = state_change(status, account=ACCOUNT)
    journey = follow(cli_default_stacks, event, account=ACCOUNT)
    arrival = expect_arrival(journey, event, DEPLOY_HANDLER=handler)
    assert arrival.stack == "mlplatform-deploy"
    assert len(journey.arrivals) == 1


@pytest.mark.parametrize(
    "event",
    [state_change("PendingManualApproval", account=ACCOUNT), state_change("Rejected", group="fraud", account=ACCOUNT)],
)
def test_given_the_sandbox_then_undecided_and_unknown_group_events_reach_no_handler(
    cli_default_stacks: list[Stack], event: dict[str, Any]
) -> None:
    assert follow(cli_default_stacks, event, account=ACCOUNT).arrivals == []
