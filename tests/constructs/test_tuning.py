"""TuningStorage, TuningPipeline and TrainingJobLauncher: the synthesized state machine, roles and queue."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform import naming, tuning_spec
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.tuning import TrainingJobLauncher, TuningPipeline, TuningStorage
from sagemaker_platform.contracts.training_storage import training_storage
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type
from tests.test_tuning_spec import custom_spec

SPEC = tuning_spec.parse_spec(
    custom_spec(
        name="digits",
        schedule="rate(7 days)",
        vpc={"subnet_ids": ["subnet-0123abcd"], "security_group_ids": ["sg-0123abcd"]},
        spot=None,
    )
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("tuning")))
    stack = cdk.Stack(app, "Tuning")
    storage = TuningStorage(stack, "Storage")
    TuningPipeline(stack, "Pipeline", storage=storage, platform_name="mlplatform", specs=[SPEC])
    TrainingJobLauncher(stack, "Launcher", storage=storage, image="sagemaker-xgboost:1.7-1", max_concurrency=2)
    add_compliance_gate(app)  # the constructs pass the gate without acknowledgments from the caller
    return app.synth().get_stack_by_name("Tuning").template


def definition(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in parts))


def test_given_a_pipeline_then_the_state_machine_builds_tunes_registers_and_notifies(template: dict[str, Any]) -> None:
    states = definition(template)
    assert states["QueryLanguage"] == "JSONata" and states["StartAt"] == "BuildRequest"
    flow = states["States"]
    assert [
        flow["BuildRequest"]["Next"],
        flow["Tune"]["Next"],
        flow["WriteReport"]["Next"],
        flow["RegisterBestModel"]["Next"],
    ] == ["Tune", "WriteReport", "RegisterBestModel", "NotifyRegistered"]
    # The report retries transient faults, then gives way to registration (the notification carries the error).
    assert TRANSIENT_RETRY in flow["WriteReport"]["Retry"]
    (catch,) = flow["WriteReport"]["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "RegisterBestModel"
    tune = flow["Tune"]
    assert tune["Resource"] == "arn:TOKEN:states:::sagemaker:createHyperParameterTuningJob.sync"
    assert tune["Arguments"] == "{% $states.input.request %}"
    for name in ("BuildRequest", "Tune", "RegisterBestModel"):
        assert flow[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "NotifyFailure"}]
    assert flow["NotifyFailure"]["Next"] == "Failed" and flow["Failed"]["Type"] == "Fail"
    assert flow["NotifyRegistered"]["End"] is True


# What each Lambda task of the tuning state machine retries: its handler's transient AWS failures (the contract's
# error name) and Lambda's throttling, with backoff.
TRANSIENT_RETRY = {
    "ErrorEquals": ["AwsTransientError", "Lambda.TooManyRequestsException"],
    "IntervalSeconds": 5,
    "MaxAttempts": 4,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}


@pytest.mark.parametrize("task", ["BuildRequest", "WriteReport", "RegisterBestModel"])
def test_given_a_pipeline_then_each_lambda_task_retries_transient_errors_and_never_permanent_ones(
    template: dict[str, Any], task: str
) -> None:
    retries = definition(template)["States"][task]["Retry"]
    assert TRANSIENT_RETRY in retries
    retried = {error for retry in retries for error in retry["ErrorEquals"]}
    # Refused calls and bad input are final: caught and notified, never retried.
    assert not retried & {"States.ALL", "States.TaskFailed", "AwsPermanentError", "ClientError", "InvalidSpecError"}


def test_given_a_pipeline_then_the_report_role_reads_tuning_jobs_and_writes_only_reports(
    template: dict[str, Any],
) -> None:
    statements = policy_statements(template, "PipelineReporter")
    assert actions_of(statements) >= {
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
        "s3:PutObject",
        "kms:GenerateDataKey",
    }
    assert not {"s3:GetObject", "kms:Decrypt", "sagemaker:CreateModelPackage", "iam:PassRole"} & actions_of(statements)
    (put,) = [s for s in statements if s["Action"] == "s3:PutObject"]
    assert json.dumps(put["Resource"]).endswith('"/tuning/*/report.html"]]}')
    functions = resources_of_type(template, "AWS::Lambda::Function")
    (reporter,) = [f for k, f in functions.items() if k.startswith("PipelineReporter")]
    assert sorted(reporter["Properties"]["Environment"]["Variables"]) == ["KMS_KEY_ARN", "OUTPUT_BUCKET"]


def test_given_config_specs_then_the_build_step_carries_them_by_name(template: dict[str, Any]) -> None:
    payload = definition(template)["States"]["BuildRequest"]["Arguments"]["Payload"]
    assert payload["input"] == "{% $states.input %}"
    assert payload["execution_id"] == "{% $states.context.Execution.Id %}"
    assert tuning_spec.parse_spec(payload["specs"]["digits"]) == SPEC


def test_given_a_pipeline_then_the_state_machine_is_standard_logged_traced_and_encrypted(
    template: dict[str, Any],
) -> None:
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"


def policy_statements(template: dict[str, Any], role_fragment: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if any(role_fragment in ref["Ref"] for ref in policy["Properties"].get("Roles", []))
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_given_a_pipeline_then_the_register_role_has_the_contract_name_and_assumes_the_step_role(
    template: dict[str, Any],
) -> None:
    roles = resources_of_type(template, "AWS::IAM::Role")
    (register_id,) = [k for k, r in roles.items() if r["Properties"].get("RoleName") == "mlplatform-tuning-register"]
    assert naming.tuning_register_role_name("mlplatform") == "mlplatform-tuning-register"
    statements = policy_statements(template, register_id)
    (assume,) = [s for s in statements if s["Action"] == "sts:AssumeRole"]
    assert "role/mlplatform-pipeline-step" in json.dumps(assume["Resource"])
    assert "sagemaker:CreateModelPackage" not in actions_of(statements)  # only through the assumed role


def test_given_a_pipeline_then_the_state_machine_may_run_tuning_jobs_and_pass_only_the_training_role(
    template: dict[str, Any],
) -> None:
    statements = policy_statements(template, "PipelineStateMachineRole")
    assert {"sagemaker:CreateHyperParameterTuningJob", "sagemaker:StopHyperParameterTuningJob"} <= actions_of(
        statements
    )
    (rule,) = [s for s in statements if "events:PutRule" in s["Action"]]
    assert "rule/StepFunctionsGetEventsForSageMakerTuningJobsRule" in json.dumps(rule["Resource"])
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert "StorageTrainingRole" in json.dumps(pass_role["Resource"])


def test_given_storage_then_the_training_role_reaches_only_its_buckets_key_logs_and_images(
    template: dict[str, Any],
) -> None:
    statements = policy_statements(template, "StorageTrainingRole")
    for statement in statements:
        if any(a.startswith("s3:") for a in actions_of([statement])):
            assert "*" not in statement["Resource"], statement
    pulls = json.dumps([s["Resource"] for s in statements if "ecr:BatchGetImage" in s["Action"]])
    assert "repository/digits-rf" in pulls and "repository/sagemaker-xgboost" in pulls
    assert any("ec2:CreateNetworkInterface" in s["Action"] for s in statements)  # the spec runs in a VPC


def test_given_storage_then_buckets_use_the_key_and_are_retained(template: dict[str, Any]) -> None:
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    assert len(buckets) == 3
    for logical_id, bucket in buckets.items():
        assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        expected = "AES256" if "AccessLogs" in logical_id else "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == expected


def test_given_a_spec_with_a_schedule_then_the_scheduler_starts_it_by_name(template: dict[str, Any]) -> None:
    (schedule,) = resources_of_type(template, "AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "rate(7 days)"
    assert json.loads(props["Target"]["Input"]) == {"spec_name": "digits"}


def test_given_a_launcher_then_the_queue_feeds_it_with_partial_batch_failures_and_bounded_concurrency(
    template: dict[str, Any],
) -> None:
    (mapping,) = resources_of_type(template, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}
    queues = resources_of_type(template, "AWS::SQS::Queue")
    (queue,) = [q for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    functions = resources_of_type(template, "AWS::Lambda::Function")
    (launcher,) = [f for k, f in functions.items() if k.startswith("LauncherFunction")]
    env = launcher["Properties"]["Environment"]["Variables"]
    assert env["KEEP_ALIVE_SECONDS"] == "1800" and env["LAUNCH_INTERVAL_SECONDS"] == "2"
    assert "Fn::FindInMap" in json.dumps(env["TRAINING_IMAGE"])  # the built-in image resolves per region


def test_given_a_keep_alive_above_an_hour_or_a_bad_image_then_the_launcher_refuses_both() -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    storage = TuningStorage(stack, "Storage")
    with pytest.raises(PropsError) as caught:
        TrainingJobLauncher(stack, "Launcher", storage=storage, image="python:3", keep_alive=cdk.Duration.hours(2))
    text = str(caught.value)
    assert "keep_alive=2 hours" in text and "image='python:3'" in text


def test_given_two_specs_with_one_name_then_the_pipeline_refuses_them() -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError, match="duplicate names"):
        TuningPipeline(
            stack, "Pipeline", storage=TuningStorage(stack, "Storage"), platform_name="p", specs=[SPEC, SPEC]
        )


def test_given_the_default_config_then_the_tuning_stack_runs_the_sandbox_spec(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates["mlplatform-tuning"]
    payload = definition(template)["States"]["BuildRequest"]["Arguments"]["Payload"]
    assert sorted(payload["specs"]) == ["churn-xgb"]
    assert len(resources_of_type(template, "AWS::Lambda::EventSourceMapping")) == 1


def test_given_the_multi_account_config_then_tuning_lives_in_dev_and_registers_in_the_registry_account(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates["mlplatform-tuning"]
    functions = resources_of_type(template, "AWS::Lambda::Function")
    (registrar,) = [f for k, f in functions.items() if k.startswith("PipelineRegistrar")]
    env = registrar["Properties"]["Environment"]["Variables"]
    assert env["REGISTRY_ACCOUNT"] == "222222222222"
    assert env["MODEL_ARTIFACTS_BUCKET"] == "mlplatform-models-222222222222-eu-west-1"
    assert "333333333333" in json.dumps(env["PIPELINE_STEP_ROLE_ARN"])
    assert len(resources_of_type(template, "AWS::Scheduler::Schedule")) == 1


def test_given_an_execution_stopped_from_outside_then_it_is_notified_too(template: dict[str, Any]) -> None:
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"]["status"] == ["ABORTED", "TIMED_OUT"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": next(iter(resources_of_type(template, "AWS::SNS::Topic")))}


def test_given_a_pipeline_and_a_launcher_then_both_starters_carry_the_training_storage_their_handlers_read(
    template: dict[str, Any],
) -> None:
    functions = resources_of_type(template, "AWS::Lambda::Function")
    for prefix in ("PipelineRequestBuilder", "LauncherFunction"):
        (function,) = [f for k, f in functions.items() if k.startswith(prefix)]
        # What the handler reads at run time, with the contract's reader: a renamed variable fails here.
        storage = training_storage(function["Properties"]["Environment"]["Variables"])
        refs = {field: json.dumps(value) for field, value in storage.items()}
        assert '"StorageTrainingRole' in refs["role_arn"] and '"Arn"' in refs["role_arn"], refs
        assert refs["data_bucket"].startswith('{"Ref": "StorageData') and "Output" not in refs["data_bucket"], refs
        assert refs["output_bucket"].startswith('{"Ref": "StorageOutput'), refs
        assert '"StorageKey' in refs["kms_key_arn"] and '"Arn"' in refs["kms_key_arn"], refs


def test_given_a_pipeline_then_the_registrar_and_the_reporter_carry_the_storage_output_environment(
    tmp_path: Any,
) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Tuning")
    storage = TuningStorage(stack, "Storage")
    TuningPipeline(stack, "Pipeline", storage=storage, platform_name="mlplatform", specs=[SPEC])
    expected = stack.resolve(storage.output_environment())
    assert sorted(expected) == ["KMS_KEY_ARN", "OUTPUT_BUCKET"]  # what both handlers read
    functions = resources_of_type(app.synth().get_stack_by_name("Tuning").template, "AWS::Lambda::Function")
    for prefix in ("PipelineRegistrar", "PipelineReporter"):
        (function,) = [f for k, f in functions.items() if k.startswith(prefix)]
        variables = function["Properties"]["Environment"]["Variables"]
        assert {name: variables[name] for name in expected} == expected, prefix
