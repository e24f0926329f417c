"""Deploy handlers without an emulator: malformed events, generated events, throttling, in-place updates (Stubber)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from botocore.stub import ANY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagemaker_platform import naming
from tests.deploy_support import ACCOUNT, ENDPOINT, GROUP, PLATFORM, REGION, credentials, deployment_spec, package_event

from deployer import approval, aws, claims, endpoint, notify, record, reject, start  # isort: skip
from deployer.errors import DeployError, EventError, Throttled  # isort: skip
from deployer.events import PackageEvent, parse_package_event  # isort: skip


class ReachedAws(Exception):
    """Raised instead of creating a client: the handler got past validation."""


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(service: str, credentials: dict[str, str] | None = None) -> Any:
        raise ReachedAws(service)

    monkeypatch.setattr(aws, "client_factory", refuse)


def _without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    node = event
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return event


def _with(event: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    node = event
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return event


V1_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1"
OTHER_REGION_ARN = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package/{GROUP}/1"
OTHER_ACCOUNT_ARN = f"arn:aws:sagemaker:{REGION}:999999999999:model-package/{GROUP}/1"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (_without(package_event(), "detail", "ModelPackageArn"), "detail.ModelPackageArn"),
        (_without(package_event(), "detail", "ModelPackageGroupName"), "detail.ModelPackageGroupName"),
        (_without(package_event(), "detail"), "detail"),
        (_with(package_event(), 1, "detail", "ModelApprovalStatus"), "detail.ModelApprovalStatus"),
        (_with(package_event(), ["churn"], "detail", "ModelPackageGroupName"), "detail.ModelPackageGroupName"),
        (_with(package_event(), "list", "detail"), "detail"),
        (package_event(group="fraud"), "detail.ModelPackageGroupName"),
        (_with(package_event(), OTHER_REGION_ARN, "detail", "ModelPackageArn"), "detail.ModelPackageArn"),
        (_with(package_event(), OTHER_ACCOUNT_ARN, "detail", "ModelPackageArn"), "detail.ModelPackageArn"),
        (_with(package_event(), "arn:aws:s3:::bucket", "detail", "ModelPackageArn"), "detail.ModelPackageArn"),
        (package_event(status="Rejected"), "detail.ModelApprovalStatus"),
        (_with(package_event(), "aws.s3", "source"), "source"),
        ("not an event", "event"),
        (_without(package_event(), "time"), "time"),
        (package_event(time="yesterday"), "time"),
        (package_event(time="2026-11-23T10:00:00"), "time"),
    ],
)
def test_given_a_malformed_approval_event_then_start_names_the_field_and_calls_no_aws(
    no_aws: None, event: Any, field: str
) -> None:
    with pytest.raises(EventError) as caught:
        start.handler(event, None)
    assert caught.value.field == field


def test_given_an_approved_event_when_the_reject_handler_gets_it_then_it_names_the_status(no_aws: None) -> None:
    with pytest.raises(EventError) as caught:
        reject.handler(package_event(status="Approved"), None)
    assert caught.value.field == "detail.ModelApprovalStatus"


@pytest.mark.parametrize(
    ("handler", "event", "field"),
    [
        (
            endpoint.handler,
            {"action": "deploy", "step": {"stage": "staging", "endpoint": "e"}},
            "step.model_package_arn",
        ),
        (endpoint.handler, {"action": "deploy", "step": {"stage": "qa", "endpoint": "e"}}, "stage"),
        (endpoint.handler, {"action": "reboot", "step": {}}, "action"),
        (endpoint.handler, {"action": "status", "step": {"stage": "prod", "endpoint": "e"}}, "step.deployment"),
        (record.handler, {"step": {}}, "outcome"),
        (
            record.handler,
            {"outcome": "succeeded", "step": {"kind": "deploy", "model_package_arn": V1_ARN, "claim_arn": 3}},
            "step.claim_arn",
        ),
        (approval.handler, {"task_token": 7, "step": {}}, "task_token"),
        (
            approval.handler,
            {"task_token": "t", "step": {"kind": "deploy", "model_package_arn": "x"}},
            "step.model_package_arn",
        ),
    ],
)
def test_given_a_malformed_step_input_then_the_step_handler_names_the_field_and_calls_no_aws(
    no_aws: None, handler: Any, event: dict[str, Any], field: str
) -> None:
    with pytest.raises(EventError) as caught:
        handler(event, None)
    assert caught.value.field == field


# --- generated events -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
arns = st.sampled_from(
    [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1",
        OTHER_REGION_ARN,
        OTHER_ACCOUNT_ARN,
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}",
        "",
    ]
)
details = st.fixed_dictionaries(
    {},
    optional={
        "ModelPackageGroupName": st.sampled_from([GROUP, "fraud", ""]) | json_values,
        "ModelPackageArn": arns | json_values,
        "ModelApprovalStatus": st.sampled_from(["Approved", "Rejected", "PendingManualApproval"]) | json_values,
    },
)
events = (
    st.fixed_dictionaries(
        {},
        optional={
            "source": st.sampled_from(["aws.sagemaker", "aws.s3"]) | json_values,
            "detail-type": st.sampled_from(["SageMaker Model Package State Change"]) | json_values,
            "detail": details | json_values,
        },
    )
    | json_values
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events)
def test_given_any_generated_event_then_the_event_handlers_raise_only_typed_errors_before_any_aws_call(
    no_aws: None, event: Any
) -> None:
    for handler, status in ((start.handler, "Approved"), (reject.handler, "Rejected")):
        try:
            handler(event, None)
        except EventError:
            pass
        except ReachedAws:
            # Only a fully valid event may get as far as AWS.
            parse_package_event(
                event,
                expected_status=status,
                groups=start.settings.groups(),
                region=REGION,
                registry_account=ACCOUNT,
            )


step_inputs = st.fixed_dictionaries(
    {},
    optional={
        "action": st.sampled_from(["deploy", "status", "smoke_test"]) | json_values,
        "outcome": st.sampled_from(["succeeded", "failed"]) | json_values,
        "task_token": st.text(max_size=5) | json_values,
        "step": st.fixed_dictionaries(
            {},
            optional={
                "stage": st.sampled_from(["staging", "prod"]) | json_values,
                "endpoint": st.text(max_size=5) | json_values,
                "model_package_arn": arns | json_values,
                "execution_name": st.text(max_size=5) | json_values,
                "deployment": json_values,
                "kind": st.sampled_from(["deploy", "rollback"]) | json_values,
                "attempt": st.integers() | json_values,
            },
        )
        | json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=step_inputs)
def test_given_any_generated_step_input_then_the_step_handlers_raise_only_typed_errors(
    no_aws: None, event: Any
) -> None:
    for handler in (endpoint.handler, record.handler, approval.handler):
        try:
            handler(event, None)
        except (DeployError, ReachedAws):
            continue  # typed refusals, or a valid input that got as far as AWS


# --- throttling --------------------------------------------------------------------------------


def test_given_dynamodb_throttles_a_few_times_then_the_claim_is_retried_with_backoff(
    stub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    monkeypatch.setattr(aws, "sleep", delays.append)
    dynamodb = stub("dynamodb")
    for _ in range(2):
        dynamodb.add_client_error("update_item", "ProvisionedThroughputExceededException")
    dynamodb.add_response("update_item", {"Attributes": {"attempt": {"N": "1"}}})

    assert (
        claims.claim(
            PackageEvent("arn", GROUP, 1, "Approved", REGION, ACCOUNT, "2026-11-23T10:00:00Z", "e"),
            claims.DEPLOYMENT_TARGET,
        )
        == 1
    )
    assert len(delays) == 2 and delays[0] < delays[1] * 2


def test_given_step_functions_keeps_throttling_then_start_keeps_the_claim_for_the_retry_and_reports_throttled(
    stub: Any,
) -> None:
    """No release to FAILED (the retry of the same event would then be refused as a replay): the claim stays
    DEPLOYING with this event's id, so Lambda's retry resumes the same attempt (tests/lambda/test_deploy_faults.py)."""
    dynamodb = stub("dynamodb")
    sfn = stub("stepfunctions")
    dynamodb.add_response("update_item", {"Attributes": {"attempt": {"N": "1"}}})
    dynamodb.add_response("query", {"Items": []})
    dynamodb.add_response("query", {"Items": []})
    for _ in range(aws.MAX_ATTEMPTS):
        sfn.add_client_error("start_execution", "ThrottlingException")

    with pytest.raises(Throttled):
        start.handler(package_event(), None)


# --- in-place update of an autoscaled endpoint (UpdateEndpoint is not in moto) ------------------


def test_given_an_autoscaled_endpoint_whose_instance_type_changes_then_scaling_is_deregistered_counts_kept_and_updated(
    stub: Any,
) -> None:
    stage = "prod"
    name = naming.endpoint_name(PLATFORM, ENDPOINT, stage)
    resource_id = f"endpoint/{name}/variant/AllTraffic"
    spec = deployment_spec(ENDPOINT, stage)
    spec["variants"][0]["InstanceType"] = "ml.g5.2xlarge"
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/2"
    sts = stub("sts")
    sts.add_response("assume_role", {"Credentials": credentials("ASIAPIPELINEXXXXXXXX")})
    chained = stub("sts", "ASIAPIPELINEXXXXXXXX")
    chained.add_response("assume_role", {"Credentials": credentials("ASIASTAGEXXXXXXXXXXX")})
    key = "ASIASTAGEXXXXXXXXXXX"
    ssm = stub("ssm", key)
    sagemaker = stub("sagemaker", key)
    scaling = stub("application-autoscaling", key)
    ssm.add_response("get_parameter", {"Parameter": {"Name": "p", "Value": json.dumps(spec), "Type": "String"}})
    sagemaker.add_response(
        "describe_model_package",
        {
            "ModelPackageName": GROUP,
            "ModelPackageArn": arn,
            "CreationTime": datetime(2026, 1, 1),
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "ModelApprovalStatus": "Approved",
        },
        {"ModelPackageName": arn},
    )
    sagemaker.add_response("create_model", {"ModelArn": "arn:aws:sagemaker:us-east-1:1:model/m"})
    sagemaker.add_response(
        "describe_endpoint",
        {
            "EndpointName": name,
            "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/e",
            "EndpointConfigName": "old-config",
            "EndpointStatus": "InService",
            "CreationTime": datetime(2026, 1, 1),
            "LastModifiedTime": datetime(2026, 1, 1),
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 3, "DesiredInstanceCount": 3}],
        },
    )
    scaling.add_response(
        "describe_scalable_targets",
        {
            "ScalableTargets": [
                {
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": resource_id,
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "MinCapacity": 1,
                    "MaxCapacity": 4,
                    "RoleARN": "arn:aws:iam::1:role/r",
                    "CreationTime": datetime(2026, 1, 1),
                }
            ]
        },
    )
    sagemaker.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "old-config",
            "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:1:endpoint-config/old",
            "CreationTime": datetime(2026, 1, 1),
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "old", "InstanceType": "ml.g5.xlarge"}],
        },
    )
    scaling.add_response(
        "describe_scaling_policies",
        {
            "ScalingPolicies": [
                {
                    "PolicyARN": "arn:aws:autoscaling:us-east-1:1:scalingPolicy:x",
                    "PolicyName": "invocations",
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": resource_id,
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "PolicyType": "TargetTrackingScaling",
                    "CreationTime": datetime(2026, 1, 1),
                }
            ]
        },
    )
    scaling.add_response(
        "delete_scaling_policy",
        {},
        {
            "PolicyName": "invocations",
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )
    scaling.add_response(
        "deregister_scalable_target",
        {},
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )
    sagemaker.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:1:endpoint-config/new"},
        {
            "EndpointConfigName": ANY,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.g5.2xlarge",
                    "InitialInstanceCount": 3,
                    "ModelName": ANY,
                }
            ],
        },
    )
    sagemaker.add_response(
        "update_endpoint",
        {"EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/e"},
        {"EndpointName": name, "EndpointConfigName": ANY, "DeploymentConfig": spec["deployment_config"]},
    )

    result = endpoint.handler(
        {
            "action": "deploy",
            "step": {"stage": stage, "endpoint": ENDPOINT, "model_package_arn": arn, "execution_name": "churn-v2-1"},
        },
        None,
    )

    assert result["previous_endpoint_config"] == "old-config" and result["state"] == "InProgress"
    assert result["endpoint_config_name"].startswith(f"{name}-v2-")


def test_given_many_invocations_with_fresh_credentials_then_the_client_cache_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aws, "client_factory", lambda service, credentials=None: object())
    own = aws.client("dynamodb")
    for index in range(100):
        aws.client("sagemaker", credentials(f"ASIA{index:016d}"))

    assert len(aws._clients) <= aws.MAX_CACHED_CLIENTS
    assert aws.client("dynamodb") is own


def test_given_the_bus_refuses_an_entry_then_emit_raises_instead_of_losing_the_event(stub: Any) -> None:
    stub("events").add_response(
        "put_events",
        {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "AccessDeniedException", "ErrorMessage": "no"}]},
    )

    with pytest.raises(DeployError, match="AccessDeniedException"):
        notify.emit(notify.STARTED, {"model_package_arn": "arn"})
