"""The EventBridge pieces the lifecycle constructs share: a rule on one kind of SageMaker event, and a role
that EventBridge rules of this account assume to start something."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.roles import PlatformRole


def sagemaker_rule(
    scope: Construct,
    id: str,
    *,
    description: str,
    detail_type: str,
    detail: Mapping[str, Any],
    targets: Sequence[events.IRuleTarget],
) -> events.Rule:
    """A rule matching one SageMaker event type (`detail_type`) whose detail matches `detail`."""
    return events.Rule(
        scope,
        id,
        description=description,
        event_pattern=events.EventPattern(source=["aws.sagemaker"], detail_type=[detail_type], detail=dict(detail)),
        targets=list(targets),
    )


def cloudformation_rule(
    scope: Construct,
    id: str,
    *,
    description: str,
    detail_type: str,
    detail: Mapping[str, Any],
    status: str,
    target: events.IRuleTarget,
) -> events.Rule:
    """A rule matching one CloudFormation event type (`detail_type`) of `scope`'s stack reaching `status`, whose
    detail also matches `detail`."""
    stack_detail = {"stack-id": [cdk.Stack.of(scope).stack_id], "status-details": {"status": [status]}}
    return events.Rule(
        scope,
        id,
        description=description,
        event_pattern=events.EventPattern(
            source=["aws.cloudformation"], detail_type=[detail_type], detail={**stack_detail, **detail}
        ),
        targets=[target],
    )


def events_role(scope: Construct, id: str, *, description: str) -> PlatformRole:
    """A role only EventBridge rules of this account may assume (aws:SourceAccount); the caller grants it."""
    return PlatformRole(
        scope,
        id,
        assumed_by=iam.ServicePrincipal(
            "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}}
        ),
        description=description,
    )
