"""`DataQualityMonitor`: job definition, schedule applied once the endpoint is InService, violations alarmed."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from sagemaker_platform.constructs.lifecycle import LifecycleStorage
from sagemaker_platform.constructs.lifecycle.model_quality import ModelQualityMonitor
from sagemaker_platform.constructs.lifecycle.monitor_applier import (
    ALREADY_EXISTS,
    NOT_FOUND,
    RESOURCE_STATUS_CHANGE,
    STACK_STATUS_CHANGE,
)
from sagemaker_platform.constructs.lifecycle.monitoring import DataQualityMonitor, EndpointMonitor
from sagemaker_platform.errors import PropsError
from sagemaker_platform.synthdiff.diff import diff_templates
from tests.registry_helpers import text
from tests.support import resources_of_type

ENDPOINT = "mlplatform-churn-async-prod"
RETRAIN = "arn:aws:sagemaker:eu-west-1:333333333333:pipeline/churn-train"


def _template(
    monitor: type[EndpointMonitor] = DataQualityMonitor, endpoint_name: str = ENDPOINT, **props: Any
) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Monitoring", env=cdk.Environment(account="333333333333", region="eu-west-1"))
    monitor(
        stack,
        "Monitor",
        endpoint_name=endpoint_name,
        capture_bucket_name="mlplatform-prod-ep-333333333333-eu-west-1",
        capture_key_alias="alias/mlplatform-hosting-prod",
        storage=LifecycleStorage(stack, "Storage"),
        job_role=iam.Role.from_role_name(stack, "JobRole", "mlplatform-sagemaker-execution"),
        topic=sns.Topic(stack, "Topic"),
        **props,
    )
    return cdk.assertions.Template.from_stack(stack).to_json()


def test_given_a_monitor_then_its_job_definition_reads_the_endpoint_and_encrypts_reports_and_volumes() -> None:
    (definition,) = resources_of_type(_template(), "AWS::SageMaker::DataQualityJobDefinition").values()
    properties = definition["Properties"]
    assert re.fullmatch(rf"{ENDPOINT}-data-quality-[0-9a-f]{{8}}", properties["JobDefinitionName"])
    assert properties["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == ENDPOINT
    assert "KmsKeyId" in properties["DataQualityJobOutputConfig"]
    assert "VolumeKmsKeyId" in properties["JobResources"]["ClusterConfig"]
    assert properties["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert "DataQualityBaselineConfig" not in properties
    assert "/sagemaker-model-monitor-analyzer" in text(properties["DataQualityAppSpecification"]["ImageUri"])


def test_given_a_baseline_then_the_job_checks_against_its_constraints_and_statistics() -> None:
    uri = "s3://mlplatform-model-artifacts/churn/baselines/churn-train/data-quality"
    (definition,) = resources_of_type(_template(baseline_uri=uri), "AWS::SageMaker::DataQualityJobDefinition").values()
    baseline = definition["Properties"]["DataQualityBaselineConfig"]
    assert baseline["ConstraintsResource"]["S3Uri"] == f"{uri}/constraints.json"
    assert baseline["StatisticsResource"]["S3Uri"] == f"{uri}/statistics.json"


def _definition(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((logical_id, definition),) = resources_of_type(template, "AWS::SageMaker::DataQualityJobDefinition").items()
    return logical_id, definition


def _applier(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((logical_id, machine),) = resources_of_type(template, "AWS::StepFunctions::StateMachine").items()
    return logical_id, json.loads(text(machine["Properties"]["DefinitionString"]))


def test_the_schedule_is_created_when_the_endpoint_is_in_service_and_an_existing_one_is_updated() -> None:
    template = _template()
    rules = resources_of_type(template, "AWS::Events::Rule").values()
    in_service = [
        r for r in rules if r["Properties"]["EventPattern"]["detail-type"] == ["SageMaker Endpoint State Change"]
    ]
    assert [r["Properties"]["EventPattern"]["detail"] for r in in_service] == [
        {"EndpointName": [ENDPOINT], "EndpointStatus": ["IN_SERVICE"]}
    ]
    _, definition = _applier(template)
    name = _definition(template)[1]["Properties"]["JobDefinitionName"]
    create, update = definition["States"]["CreateSchedule"], definition["States"]["UpdateSchedule"]
    assert create["Resource"].endswith(":states:::aws-sdk:sagemaker:createMonitoringSchedule")
    assert update["Resource"].endswith(":states:::aws-sdk:sagemaker:updateMonitoringSchedule")
    for task in (create, update):
        assert task["Parameters"] == {
            "MonitoringScheduleName": f"{ENDPOINT}-data-quality",
            "MonitoringScheduleConfig": {
                "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                "MonitoringJobDefinitionName": name,
                "MonitoringType": "DataQuality",
            },
        }
    # An endpoint updated to a new version: its schedule exists, and is pointed at this definition.
    assert [(c["ErrorEquals"], c["Next"]) for c in create["Catch"]] == [([ALREADY_EXISTS], "UpdateSchedule")]
    # A definition created before the endpoint exists: nothing to update, the InService event creates it.
    assert [(c["ErrorEquals"], c["Next"]) for c in update["Catch"]] == [([NOT_FOUND], "NotScheduledYet")]
    assert definition["States"]["NotScheduledYet"]["Type"] == "Succeed"
    trigger = definition["States"][definition["StartAt"]]
    # A start without `source` (by hand, `{}`) takes the default instead of failing the Choice (States.Runtime).
    assert trigger["Choices"] == [
        {
            "And": [
                {"Variable": "$.source", "IsPresent": True},
                {"Variable": "$.source", "StringEquals": "aws.cloudformation"},
            ],
            "Next": "UpdateSchedule",
        }
    ]
    # Every other error is retried (runs under faults: tests/test_monitor_applier_faults.py); the caught one never.
    for task, caught in ((create, ALREADY_EXISTS), (update, NOT_FOUND)):
        assert [r["ErrorEquals"] for r in task["Retry"]] == [[caught], ["States.ALL"]]
        assert task["Retry"][0]["MaxAttempts"] == 0
    assert trigger["Default"] == "CreateSchedule"


def test_a_new_job_definition_starts_the_applier_which_is_updated_before_it() -> None:
    template = _template()
    definition_id, definition = _definition(template)
    applier_id, _ = _applier(template)
    (created,) = [
        r
        for r in resources_of_type(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"] == [RESOURCE_STATUS_CHANGE]
    ]
    pattern = created["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.cloudformation"]
    assert pattern["detail"] == {
        "stack-id": [{"Ref": "AWS::StackId"}],
        "logical-resource-id": [definition_id],
        "status-details": {"status": ["CREATE_COMPLETE"]},
    }
    assert [t["Arn"] for t in created["Properties"]["Targets"]] == [{"Ref": applier_id}]
    # The event of a new definition must start the applier that names it, not the previous one.
    assert applier_id in definition["DependsOn"]


def test_a_rolled_back_update_starts_the_applier_which_points_the_schedule_back() -> None:
    """A definition created in a failed update is deleted again, after the applier pointed the schedule at it; the
    rolled-back applier (naming the definition that stays) must run once more."""
    template = _template()
    applier_id, _ = _applier(template)
    (rolled_back,) = [
        r
        for r in resources_of_type(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"] == [STACK_STATUS_CHANGE]
    ]
    assert rolled_back["Properties"]["EventPattern"] == {
        "source": ["aws.cloudformation"],
        "detail-type": [STACK_STATUS_CHANGE],
        "detail": {"stack-id": [{"Ref": "AWS::StackId"}], "status-details": {"status": ["UPDATE_ROLLBACK_COMPLETE"]}},
    }
    assert [t["Arn"] for t in rolled_back["Properties"]["Targets"]] == [{"Ref": applier_id}]


def test_the_definition_name_follows_its_properties_and_fits_sagemaker() -> None:
    name = _definition(_template())[1]["Properties"]["JobDefinitionName"]
    assert _definition(_template())[1]["Properties"]["JobDefinitionName"] == name  # deterministic
    baseline = "s3://mlplatform-model-artifacts/churn/baselines/churn-train/data-quality"
    assert _definition(_template(baseline_uri=baseline))[1]["Properties"]["JobDefinitionName"] != name
    assert _definition(_template(instance_type="ml.m5.xlarge"))[1]["Properties"]["JobDefinitionName"] != name
    # A schedule change is no definition change: the same definition, the schedule updated by the applier.
    assert _definition(_template(schedule_expression="cron(0 0 ? * * *)"))[1]["Properties"]["JobDefinitionName"] == name
    long = _definition(_template(endpoint_name="e" * 63))[1]["Properties"]["JobDefinitionName"]
    assert len(long) == 63 and re.fullmatch(r"e+-[0-9a-f]{8}", long)


def test_adding_a_baseline_to_a_deployed_monitor_replaces_its_definition_without_blocking() -> None:
    """Every property of a job definition is create-only: the change replaces it, and CloudFormation refuses a
    replacement that keeps a custom name (as it did with ``<endpoint>-data-quality``)."""
    baseline = "s3://mlplatform-model-artifacts/churn/baselines/churn-train/data-quality"
    before, after = _template(), _template(baseline_uri=baseline)
    (change,) = [
        c
        for c in diff_templates("Monitoring", before, after).resources
        if c.resource_type == "AWS::SageMaker::DataQualityJobDefinition"
    ]
    assert change.replaced
    assert change.danger() is None


def test_given_a_retrain_pipeline_then_a_violation_notifies_alarms_and_starts_it() -> None:
    template = _template(retrain_pipeline_arn=RETRAIN)
    (violations,) = [
        r
        for r in resources_of_type(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"] == ["SageMaker Processing Job State Change"]
    ]
    detail = violations["Properties"]["EventPattern"]["detail"]
    assert detail["ExitMessage"] == [{"prefix": "CompletedWithViolations"}]
    assert text(detail["MonitoringScheduleArn"][0]).endswith(f":monitoring-schedule/{ENDPOINT}-data-quality")
    targets = [text(t["Arn"]) for t in violations["Properties"]["Targets"]]
    assert RETRAIN in targets and len(targets) == 2  # the topic and the pipeline
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    (alarm,) = [a for a in alarms if a["Properties"]["MetricName"] == "TriggeredRules"]
    assert alarm["Properties"]["Namespace"] == "AWS/Events"


def test_given_no_retrain_pipeline_then_a_violation_only_notifies() -> None:
    rules = resources_of_type(_template(), "AWS::Events::Rule").values()
    violations = [r for r in rules if "ExitMessage" in r["Properties"]["EventPattern"].get("detail", {})]
    assert [len(r["Properties"]["Targets"]) for r in violations] == [1]


def test_given_bad_props_then_one_error_names_each() -> None:
    with pytest.raises(PropsError) as caught:
        _template(schedule_expression="rate(1 hour)", max_run_seconds=0)
    assert "schedule_expression='rate(1 hour)'" in str(caught.value) and "max_run_seconds=0" in str(caught.value)


@pytest.mark.parametrize("monitor", [DataQualityMonitor, ModelQualityMonitor])
def test_given_a_misspelt_shared_prop_then_the_monitor_refuses_it_as_a_signature_would(
    monitor: type[EndpointMonitor],
) -> None:
    truth = {"ground_truth_uri": "s3://truth", "problem_type": "Regression", "inference_attribute": "0"}
    own = truth if monitor is ModelQualityMonitor else {}
    with pytest.raises(TypeError, match=rf"{monitor.__name__}\(\) got unexpected keyword arguments: baseline_url"):
        _template(monitor, baseline_url="s3://b/baseline", **own)


def _quality_template(**props: Any) -> dict[str, Any]:
    truth = {"ground_truth_uri": "s3://truth-bucket/fraud/ground-truth", "problem_type": "BinaryClassification"}
    return _template(ModelQualityMonitor, **{**truth, **props})


def test_given_ground_truth_then_a_model_quality_job_merges_it_with_the_captured_probabilities() -> None:
    template = _quality_template(probability_attribute="0", probability_threshold=0.5)
    (definition,) = resources_of_type(template, "AWS::SageMaker::ModelQualityJobDefinition").values()
    properties = definition["Properties"]
    assert re.fullmatch(rf"{ENDPOINT}-model-quality-[0-9a-f]{{8}}", properties["JobDefinitionName"])
    assert properties["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
    job_input = properties["ModelQualityJobInput"]
    assert job_input["GroundTruthS3Input"] == {"S3Uri": "s3://truth-bucket/fraud/ground-truth"}
    assert job_input["EndpointInput"]["ProbabilityAttribute"] == "0"
    assert job_input["EndpointInput"]["ProbabilityThresholdAttribute"] == 0.5
    assert "KmsKeyId" in properties["ModelQualityJobOutputConfig"]
    assert properties["NetworkConfig"]["EnableNetworkIsolation"] is True
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    create = json.loads(text(machine["Properties"]["DefinitionString"]))["States"]["CreateSchedule"]
    assert create["Parameters"]["MonitoringScheduleConfig"]["MonitoringType"] == "ModelQuality"
    assert create["Parameters"]["MonitoringScheduleName"] == f"{ENDPOINT}-model-quality"
    assert (
        create["Parameters"]["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
        == (properties["JobDefinitionName"])
    )
    (violations,) = [
        r
        for r in resources_of_type(template, "AWS::Events::Rule").values()
        if "ExitMessage" in r["Properties"]["EventPattern"].get("detail", {})
    ]
    schedule = text(violations["Properties"]["EventPattern"]["detail"]["MonitoringScheduleArn"][0])
    assert schedule.endswith(f":monitoring-schedule/{ENDPOINT}-model-quality")
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    # Violations, and an applier that failed after its retries.
    assert sorted(a["Properties"]["MetricName"] for a in alarms) == ["ExecutionsFailed", "TriggeredRules"]


def test_given_model_quality_attributes_that_do_not_fit_the_problem_then_one_error_names_each() -> None:
    with pytest.raises(PropsError) as caught:
        _quality_template(problem_type="Regression", probability_attribute="0", probability_threshold=0.5)
    message = str(caught.value)
    for text_ in ("probability_attribute='0'", "probability_threshold=0.5", "inference_attribute=None"):
        assert text_ in message
