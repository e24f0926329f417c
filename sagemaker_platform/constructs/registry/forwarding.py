"""Approval forwarding: the registry account's rule sending model package events to the tooling account,
and the tooling account's `ModelEventsBus` receiving them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.common import KEY_USE_ACTIONS, let_service_use_key
from sagemaker_platform.constructs.queues import dead_letter_queue
from sagemaker_platform.constructs.registry.artifacts_bucket import render_key
from sagemaker_platform.constructs.roles import PlatformRole

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
SAGEMAKER_EVENT_SOURCE = "aws.sagemaker"
_FORWARDER_STATEMENT_ID = "RegistryForwarderOnly"


@dataclass(frozen=True)
class Forwarding:
    """What `render_forwarding` adds: the rule, its dead-letter queue and the queue's key."""

    rule: events.Rule
    dead_letter_queue: sqs.Queue
    events_key: kms.Key


class ModelEventsBus(Construct):
    """The tooling account's bus for model package events, open only to the registry's forwarder role.

    Its policy allows `events:PutEvents` to exactly one principal, the role `forwarder_role_arn` of the
    registry account, and only for events whose source is ``aws.sagemaker`` and detail type
    "SageMaker Model Package State Change" (with `organization_id`, also ``aws:PrincipalOrgID``).

    :param event_bus_name: `naming.model_events_bus_name`.
    :param forwarder_role_arn: the registry account's forwarder role (`naming.model_events_forwarder_role_name`).
    :param organization_id: the forwarder must also be of this organization (``aws:PrincipalOrgID``).
        Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        event_bus_name: str,
        forwarder_role_arn: str,
        organization_id: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=event_bus_name,
            description="Model package state changes forwarded by the central registry",
        )
        conditions: dict[str, object] = {
            "events:source": SAGEMAKER_EVENT_SOURCE,
            "events:detail-type": MODEL_PACKAGE_STATE_CHANGE,
        }
        if organization_id is not None:
            conditions["aws:PrincipalOrgID"] = organization_id
        statement = iam.PolicyStatement(
            sid=_FORWARDER_STATEMENT_ID,
            principals=[iam.ArnPrincipal(forwarder_role_arn)],
            actions=["events:PutEvents"],
            # Built from the name: the bus's own policy cannot refer to the bus's Arn attribute.
            resources=[
                cdk.Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=event_bus_name)
            ],
            conditions={"StringEquals": conditions},
        )
        # The policy is the bus's own `Policy` property, not an AWS::Events::EventBusPolicy: cdk-nag reads that
        # resource's deprecated `principal` (a deprecation warning on every synth). The statement id differs
        # from the former policy resource's (`cdk-RegistryForwarderOnly`), whose removal on update deletes
        # only its own statement.
        cfn_bus = self.bus.node.default_child
        assert isinstance(cfn_bus, events.CfnEventBus)
        cfn_bus.policy = iam.PolicyDocument(statements=[statement]).to_json()

    @property
    def event_bus_arn(self) -> str:
        """The bus's ARN."""
        return self.bus.event_bus_arn

    @property
    def event_bus_name(self) -> str:
        """The bus's name."""
        return self.bus.event_bus_name


def approval_event_pattern(groups: Sequence[str]) -> events.EventPattern:
    """The pattern of an approved version of one of `groups` ("SageMaker Model Package State Change")."""
    return forwarding_event_pattern(groups, ())


def forwarding_event_pattern(groups: Sequence[str], rejected: Sequence[str]) -> events.EventPattern:
    """Approved versions of `groups`, and Rejected versions of `rejected` (a subset of `groups`)."""
    detail: dict[str, Any] = {"ModelPackageGroupName": list(groups)}
    if not rejected:
        detail["ModelApprovalStatus"] = ["Approved"]
    elif set(rejected) == set(groups):
        detail["ModelApprovalStatus"] = ["Approved", "Rejected"]
    else:
        # Rejections only of the groups something deploys; every approval, as before.
        detail["$or"] = [
            {"ModelApprovalStatus": ["Approved"]},
            {"ModelApprovalStatus": ["Rejected"], "ModelPackageGroupName": list(rejected)},
        ]
    return events.EventPattern(source=[SAGEMAKER_EVENT_SOURCE], detail_type=[MODEL_PACKAGE_STATE_CHANGE], detail=detail)


def render_forwarding(
    scope: Construct,
    *,
    platform_name: str,
    events_bus_arn: str,
    groups: Sequence[str],
    rejected: Sequence[str],
    key_admins: Sequence[iam.IPrincipal],
    removal_policy: cdk.RemovalPolicy,
) -> Forwarding:
    """Add to `scope` (the `ModelRegistry`) the rule forwarding approvals of `groups` to the tooling bus,
    through the forwarder role, with a KMS-encrypted dead-letter queue for what the bus refuses."""
    rule_name = naming.model_approvals_rule_name(platform_name)
    role = _render_forwarder_role(scope, platform_name, rule_name)
    bus = events.EventBus.from_event_bus_arn(scope, "ToolingBus", events_bus_arn)
    rule = events.Rule(
        scope,
        "ForwardApprovals",
        rule_name=rule_name,
        description="Approved (and rejected deployed) versions of the registry's groups, to the tooling account",
        event_pattern=forwarding_event_pattern(groups, rejected),
    )
    # Events the tooling bus refuses (a missing bus policy, throttling) are kept for replay, not dropped.
    events_key = render_key(
        scope,
        "ForwardingKey",
        description=f"{platform_name}: undelivered model approval events",
        policy=iam.PolicyDocument(),
        admins=key_admins,
        removal_policy=removal_policy,
    )
    let_service_use_key(events_key, "events.amazonaws.com", sid="EventBridgeDeadLetters", actions=KEY_USE_ACTIONS)
    dead_letters = dead_letter_queue(
        scope,
        "ForwardingDeadLetters",
        events_key,
        of="the approval forwarding rule's target",
        removal_policy=removal_policy,
    )
    rule.add_target(targets.EventBus(bus, role=role, dead_letter_queue=dead_letters))
    return Forwarding(rule=rule, dead_letter_queue=dead_letters, events_key=events_key)


def _render_forwarder_role(scope: Construct, platform_name: str, rule_name: str) -> PlatformRole:
    """The role EventBridge assumes for `rule_name` only (SourceAccount and SourceArn conditions)."""
    stack = cdk.Stack.of(scope)
    rule_arn = stack.format_arn(service="events", resource="rule", resource_name=rule_name)
    return PlatformRole(
        scope,
        "ForwarderRole",
        role_name=naming.model_events_forwarder_role_name(platform_name),
        description=f"{platform_name}: forwards approved (and rejected) model package versions to the tooling bus",
        assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": stack.account, "aws:SourceArn": rule_arn}}
        ),
    )
