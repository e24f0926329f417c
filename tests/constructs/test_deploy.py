"""DeployPipeline and PipelineSchedules: the state machine's shape, the rules, the claims table, least privilege."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_secretsmanager as secretsmanager
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from sagemaker_platform import naming
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.deploy import (
    DeployGroup,
    DeployPipeline,
    GitLabTrigger,
    MwaaTrigger,
    PipelineSchedule,
    PipelineSchedules,
    SmokeTest,
)
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type

DEPLOY_ROLES = {
    "staging": "arn:aws:iam::444444444444:role/mlplatform-deploy",
    "prod": "arn:aws:iam::555555555555:role/mlplatform-deploy",
}
GROUPS = [
    DeployGroup(
        model_package_group="churn",
        endpoints=["churn-realtime", "churn-async"],
        smoke_test=SmokeTest(payload='{"x": 1}', expect_contains="score"),
    ),
    DeployGroup(model_package_group="fraud", endpoints=["fraud"], rollback_on_reject=False),
]


def _pipeline(stack: cdk.Stack, **overrides: Any) -> DeployPipeline:
    props: dict[str, Any] = {
        "platform_name": "mlplatform",
        "groups": GROUPS,
        "model_events_bus": events.EventBus.from_event_bus_name(stack, "ModelEvents", "mlplatform-model-events"),
        "platform_events_bus": events.EventBus(stack, "PlatformEvents", event_bus_name="mlplatform-platform-events"),
        "deploy_role_arns": DEPLOY_ROLES,
        "registry_account": "222222222222",
    }
    return DeployPipeline(stack, "Deploy", **(props | overrides))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("deploy")))
    stack = cdk.Stack(app, "Tooling", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "Token", "gitlab/trigger")
    _pipeline(
        stack,
        gitlab=GitLabTrigger(url="https://gitlab.example.com", project_id=7, token_secret=secret),
        mwaa=MwaaTrigger(environment_name="airflow", dag_id="post_deploy"),
        notification_emails=["ml@example.com"],
    )
    PipelineSchedules(
        stack,
        "Schedules",
        schedules=[
            PipelineSchedule(
                id="nightly",
                pipeline_name="churn-batch",
                schedule_expression="cron(0 3 * * ? *)",
                parameters={"Mode": "full"},
                retrain_pipeline_name="churn-train",
            )
        ],
    )
    add_compliance_gate(app)  # the constructs pass the gate with no acknowledgment from the caller
    return app.synth().get_stack_by_name("Tooling").template


def definition_of(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "<ref>" for part in parts))


def _arn(value: Any) -> str:
    """An ARN as text, `<partition>` for the partition and `<ref>` for a reference."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(
            part if isinstance(part, str) else "<partition>" if part == {"Ref": "AWS::Partition"} else "<ref>"
            for part in value["Fn::Join"][1]
        )
    return "<ref>"


def _retried_errors(state: dict[str, Any]) -> set[str]:
    return {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}


def test_given_the_pipeline_then_the_state_machine_is_standard_logged_traced_and_named(
    template: dict[str, Any],
) -> None:
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == naming.deploy_state_machine_name("mlplatform")
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"


def test_given_the_definition_then_staging_approval_prod_record_run_in_that_order(template: dict[str, Any]) -> None:
    states = definition_of(template)["States"]
    assert definition_of(template)["StartAt"] == "DeployStaging"
    assert set(states) == {
        "DeployStaging",
        "RollbackOrApproval",
        "RequestApproval",
        "DeployProd",
        "RecordSuccess",
        "Deployed",
        "RecordFailure",
        "DeploymentFailed",
        "RecordingFailed",
    }
    assert states["DeployStaging"]["Next"] == "RollbackOrApproval"
    assert states["RollbackOrApproval"]["Default"] == "RequestApproval"
    assert {choice["Next"] for choice in states["RollbackOrApproval"]["Choices"]} == {"DeployProd", "RecordSuccess"}
    assert states["RequestApproval"]["Next"] == "DeployProd"
    assert states["DeployProd"]["Next"] == "RecordSuccess"
    assert states["RecordSuccess"]["Next"] == "Deployed"
    assert states["RecordFailure"]["Next"] == "DeploymentFailed" and states["DeploymentFailed"]["Type"] == "Fail"


def test_given_the_definition_then_every_step_before_recording_is_caught_into_record_failure(
    template: dict[str, Any],
) -> None:
    states = definition_of(template)["States"]
    for name in ("DeployStaging", "RequestApproval", "DeployProd"):
        (catch,) = states[name]["Catch"]
        assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}, name


def test_given_recording_a_success_fails_then_the_deployment_is_not_recorded_failed(template: dict[str, Any]) -> None:
    """The endpoints already serve the version: RecordSuccess's Catch ends the execution, never in RecordFailure."""
    states = definition_of(template)["States"]
    (catch,) = states["RecordSuccess"]["Catch"]
    assert catch["Next"] == "RecordingFailed" and states["RecordingFailed"]["Type"] == "Fail"


def _lambda_tasks(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for name, state in states.items():
        if state["Type"] == "Task":
            found[name] = state
        if state["Type"] == "Map":
            found |= _lambda_tasks(state["ItemProcessor"]["States"])
    return found


def test_given_any_lambda_task_then_it_retries_transient_and_refused_aws_calls_not_only_throttling(
    template: dict[str, Any],
) -> None:
    tasks = _lambda_tasks(definition_of(template)["States"])
    assert len(tasks) == 8  # deploy, check, smoke test (staging); deploy, check (prod); approval; two records
    for name, task in tasks.items():
        retried = _retried_errors(task)
        assert {"Throttled", "AwsUnavailable", "AwsCallFailed", "Lambda.ServiceException"} <= retried, name


def test_given_the_approval_step_then_it_waits_for_a_task_token_with_a_timeout(template: dict[str, Any]) -> None:
    approval = definition_of(template)["States"]["RequestApproval"]
    assert approval["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert approval["Parameters"]["Payload"] == {"task_token.$": "$$.Task.Token", "step.$": "$"}
    assert approval["TimeoutSeconds"] == 72 * 3600
    assert {"Throttled", "Lambda.TooManyRequestsException"} <= _retried_errors(approval)


def test_given_a_stage_map_then_it_polls_with_wait_states_and_retries_busy_and_throttled(
    template: dict[str, Any],
) -> None:
    states = definition_of(template)["States"]
    staging = states["DeployStaging"]
    assert staging["Type"] == "Map" and staging["ItemsPath"] == "$.endpoints"
    inner = staging["ItemProcessor"]["States"]
    assert staging["ItemProcessor"]["StartAt"] == "DeployStagingEndpoint"
    assert inner["DeployStagingEndpoint"]["Next"] == "WaitStagingEndpoint"
    assert inner["WaitStagingEndpoint"] == {"Type": "Wait", "Seconds": 30, "Next": "CheckStagingEndpoint"}
    ready = inner["StagingEndpointReady"]
    assert ready["Default"] == "WaitStagingEndpoint"
    assert ready["Choices"] == [
        {"Variable": "$.deployment.state", "StringEquals": "InService", "Next": "SmokeTestStagingEndpoint"}
    ]
    assert {"Throttled", "EndpointBusy", "Lambda.ServiceException"} <= _retried_errors(inner["DeployStagingEndpoint"])
    for name in ("CheckStagingEndpoint", "SmokeTestStagingEndpoint"):
        assert "Throttled" in _retried_errors(inner[name])
    assert "SmokeTestProdEndpoint" not in states["DeployProd"]["ItemProcessor"]["States"]


def test_given_the_definition_then_it_matches_the_snapshot(
    template: dict[str, Any], snapshot: SnapshotAssertion
) -> None:
    assert definition_of(template) == snapshot.use_extension(JSONSnapshotExtension)


def test_given_the_rules_then_they_match_only_the_configured_groups_with_dlq_and_retries(
    template: dict[str, Any],
) -> None:
    rules = {
        rule["Properties"]["EventPattern"]["detail"]["ModelApprovalStatus"][0]: rule["Properties"]
        for rule in resources_of_type(template, "AWS::Events::Rule").values()
        if "ModelApprovalStatus" in rule["Properties"]["EventPattern"].get("detail", {})
    }
    assert set(rules) == {"Approved", "Rejected"}
    for status, rule in rules.items():
        pattern = rule["EventPattern"]
        assert pattern["source"] == ["aws.sagemaker"] and pattern["account"] == ["222222222222"]
        assert pattern["detail"]["ModelPackageGroupName"] == ["churn", "fraud"]
        assert rule["EventBusName"] == "mlplatform-model-events"
        for target in rule["Targets"]:
            assert "DeadLetterConfig" in target, status
            assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 8}
    assert len(rules["Approved"]["Targets"]) == 3  # state machine start, GitLab, MWAA


def test_given_the_claims_table_then_it_is_kms_encrypted_recoverable_and_retained(template: dict[str, Any]) -> None:
    (table,) = resources_of_type(template, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEType"] == "KMS" and "KMSMasterKeyId" in props["SSESpecification"]
    assert props["KeySchema"] == [
        {"AttributeName": "model_package_arn", "KeyType": "HASH"},
        {"AttributeName": "target", "KeyType": "RANGE"},
    ]


def test_given_the_pipeline_role_then_it_is_named_trusted_by_the_step_function_only_and_only_assumes_deploy_roles(
    template: dict[str, Any],
) -> None:
    roles = resources_of_type(template, "AWS::IAM::Role")
    (logical_id,) = [
        key for key, role in roles.items() if role["Properties"].get("RoleName") == "mlplatform-deploy-pipeline"
    ]
    (statement,) = roles[logical_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    (principal,) = statement["Principal"]["AWS"]["Fn::GetAtt"][:1]
    assert principal.startswith("DeployEndpointStepRole")
    policies = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": logical_id} in policy["Properties"].get("Roles", [])
    ]
    assert policies == [[{"Action": "sts:AssumeRole", "Effect": "Allow", "Resource": sorted(DEPLOY_ROLES.values())}]]


def test_given_the_schedules_then_scheduler_starts_the_pipeline_with_kms_dlq_and_retries(
    template: dict[str, Any],
) -> None:
    (schedule,) = resources_of_type(template, "AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 3 * * ? *)" and "KmsKeyArn" in props
    target = props["Target"]
    assert _arn(target["Arn"]) == "arn:<partition>:sagemaker:eu-west-1:111111111111:pipeline/churn-batch"
    assert target["SageMakerPipelineParameters"] == {"PipelineParameterList": [{"Name": "Mode", "Value": "full"}]}
    assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    failed = [
        rule["Properties"]
        for rule in resources_of_type(template, "AWS::Events::Rule").values()
        if rule["Properties"]["EventPattern"].get("detail", {}).get("currentPipelineExecutionStatus") == ["Failed"]
    ]
    targets = sorted(_arn(target["Arn"]) for rule in failed for target in rule["Targets"])
    assert targets == ["<ref>", "arn:<partition>:sagemaker:eu-west-1:111111111111:pipeline/churn-train"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"groups": []}, "groups=[]"),
        ({"groups": [GROUPS[0], GROUPS[0]]}, "each model package group may appear once"),
        ({"groups": [DeployGroup(model_package_group="x", endpoints=[])]}, "name at least one endpoints entry"),
        ({"deploy_role_arns": {"staging": "arn"}}, "deploy_role_arns lacks ['prod']"),
        ({"state_machine": False}, "nothing would deploy"),
        ({"poll_interval": cdk.Duration.hours(3)}, "must be shorter than deploy_timeout"),
        (
            {
                "groups": [
                    DeployGroup(model_package_group="x", endpoints=["e"], smoke_test=SmokeTest(payload="x" * 4000))
                ]
            },
            "shorten the smoke test payloads",
        ),
    ],
)
def test_given_bad_props_then_the_pipeline_refuses_them_naming_the_prop(
    overrides: dict[str, Any], expected: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError) as caught:
        _pipeline(stack, **overrides)
    assert expected in str(caught.value)


def test_given_every_deploy_function_then_it_gets_the_settings_its_handlers_read(template: dict[str, Any]) -> None:
    functions = [
        fn["Properties"]["Environment"]["Variables"]
        for fn in resources_of_type(template, "AWS::Lambda::Function").values()
        if "DEPLOY_HANDLER" in fn["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert len(functions) == 7
    for variables in functions:
        assert {"DEPLOY_GROUPS", "DEPLOYMENTS_TABLE", "EVENT_BUS_NAME", "EVENT_SOURCE", "TOPIC_ARN"} <= set(variables)
        assert variables["REGISTRY_ACCOUNT"] == "222222222222" and variables["EVENT_SOURCE"] == "mlplatform.deploy"
    by_handler = {variables["DEPLOY_HANDLER"]: variables for variables in functions}
    assert {"DEPLOY_ROLE_ARNS", "SPEC_PARAMETER_TEMPLATE", "MAX_POLLS", "PIPELINE_ROLE_ARN"} <= set(
        by_handler["endpoint"]
    )
    assert by_handler["endpoint"]["MAX_POLLS"] == "180"  # 90 minutes / 30 seconds
    assert (
        by_handler["endpoint"]["SPEC_PARAMETER_TEMPLATE"] == "/mlplatform/{stage}/endpoints/{endpoint}/deployment-spec"
    )
    assert "STATE_MACHINE_ARN" in by_handler["reject"] and by_handler["reject"]["TRIGGER_TARGETS"] == "gitlab,mwaa"


def test_given_the_endpoint_step_then_its_role_may_only_assume_the_pipeline_role(template: dict[str, Any]) -> None:
    roles = resources_of_type(template, "AWS::IAM::Role")
    (endpoint_role,) = [key for key in roles if key.startswith("DeployEndpointStepRole")]
    statements = [
        statement
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": endpoint_role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {action for statement in statements for action in _as_list(statement["Action"])}
    # its own logs and dead-letter queue (PlatformFunction; traces come from the stack's XRayWritePolicy), and the
    # one sts:AssumeRole
    assert {action.split(":")[0] for action in actions} == {"logs", "sqs", "sts"}
    (assume,) = [statement for statement in statements if statement["Action"] == "sts:AssumeRole"]
    assert assume["Resource"]["Fn::GetAtt"][0].startswith("DeployPipelineRole")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_given_the_rule_targets_then_a_failed_event_in_any_dead_letter_queue_raises_an_alarm_to_the_topic(
    template: dict[str, Any],
) -> None:
    alarms = [
        alarm["Properties"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    # the rules' DLQ, the start/reject/GitLab/MWAA functions' DLQs, the schedules' DLQ
    assert len(alarms) == 6
    assert all(alarm["AlarmActions"] and alarm["Threshold"] == 1 for alarm in alarms)
