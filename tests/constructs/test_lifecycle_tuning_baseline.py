"""The build pipeline's Tuning step (a tuning spec by name) and its QualityCheck steps (data and model quality)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from sagemaker_platform import tuning_spec
from sagemaker_platform.constructs.lifecycle import (
    LifecycleStorage,
    ModelBuildPipeline,
    ModelFormat,
    ModelQualityBaseline,
    Objective,
    PipelinePermissions,
    TrainingSettings,
)
from sagemaker_platform.errors import PropsError
from tests.lifecycle_support import all_steps, pipelines_of, request_problems
from tests.support import resources_of_type
from tests.wiring_helpers import allows, as_list

GROUP_ARN = "arn:aws:sagemaker:us-east-1:222222222222:model-package-group/churn"
BASELINE = "s3://mlplatform-artifacts/churn/baselines/churn-train/data-quality"
MODEL_QUALITY = "s3://mlplatform-artifacts/churn/baselines/churn-train/model-quality"
SPEC = json.loads(Path("cdk.json").read_text())["context"]["platform"]["tuning"][0]


def _spec(**changes: Any) -> tuning_spec.TuningSpec:
    return tuning_spec.parse_spec({**SPEC, **changes})


def _build(**props: Any) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Lifecycle")
    ModelBuildPipeline(
        stack,
        "Build",
        pipeline_name="churn-train",
        model_package_group_arn=GROUP_ARN,
        storage=LifecycleStorage(stack, "Storage"),
        pipeline_role=iam.Role.from_role_name(stack, "StepRole", "mlplatform-pipeline-step"),
        job_role=iam.Role.from_role_name(stack, "JobRole", "mlplatform-sagemaker-execution"),
        lookup_function_arn="arn:aws:lambda:us-east-1:333333333333:function:lookup",
        objective=Objective(metric="validation:auc", json_path="metrics.auc.value"),
        model_output_uri="s3://mlplatform-artifacts/churn/pipelines/churn-train",
        **props,
    )
    return pipelines_of(cdk.assertions.Template.from_stack(stack).to_json())["churn-train"]


def _steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["Name"]: step for step in all_steps(definition["Steps"])}


def test_given_a_tuning_spec_then_a_tuning_step_replaces_training_and_its_best_model_is_evaluated_and_registered() -> (
    None
):
    definition = _build(tuning=_spec())
    assert [(s["Name"], s["Type"]) for s in all_steps(definition["Steps"])] == [
        ("Preprocess", "Processing"),
        ("Tune", "Tuning"),
        ("Evaluate", "Processing"),
        ("ChampionMetric", "Lambda"),
        ("ChampionChallengerGate", "Condition"),
        ("RegisterModel", "RegisterModel"),
    ]
    # The spec's type is the spec's: no TrainingInstanceType parameter to override it.
    assert "TrainingInstanceType" not in [p["Name"] for p in definition["Parameters"]]
    steps = _steps(definition)
    tune = steps["Tune"]["Arguments"]
    config = tune["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian"
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:auc"}
    assert config["ResourceLimits"] == {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 8}
    assert [r["Name"] for r in config["ParameterRanges"]["ContinuousParameterRanges"]] == ["eta", "subsample"]
    training = tune["TrainingJobDefinition"]
    assert training["StaticHyperParameters"] == {"num_round": "100", "objective": "binary:logistic"}
    assert [c["DataSource"]["S3DataSource"]["S3Uri"] for c in training["InputDataConfig"]] == [
        {"Get": f"Steps.Preprocess.ProcessingOutputConfig.Outputs['{split}'].S3Output.S3Uri"}
        for split in ("train", "validation")
    ]
    assert training["OutputDataConfig"] == {"S3OutputPath": "s3://mlplatform-artifacts/churn/pipelines/churn-train"}
    best = {
        "Std:Join": {
            "On": "/",
            "Values": [
                "s3://mlplatform-artifacts/churn/pipelines/churn-train",
                {"Get": "Steps.Tune.BestTrainingJob.TrainingJobName"},
                "output/model.tar.gz",
            ],
        }
    }
    assert steps["RegisterModel"]["Arguments"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == best
    assert best in [i["S3Input"]["S3Uri"] for i in steps["Evaluate"]["Arguments"]["ProcessingInputs"]]


def test_given_a_spot_tuning_spec_then_its_checkpoints_are_per_execution_in_the_lifecycle_bucket() -> None:
    training = _steps(_build(tuning=_spec(spot={"max_wait_seconds": 7200})))["Tune"]["Arguments"][
        "TrainingJobDefinition"
    ]
    assert training["EnableManagedSpotTraining"] is True
    assert training["StoppingCondition"]["MaxWaitTimeInSeconds"] == 7200
    assert {"Get": "Execution.PipelineExecutionId"} in training["CheckpointConfig"]["S3Uri"]["Std:Join"]["Values"]


def test_given_a_baseline_uri_then_a_quality_check_in_the_gate_branch_baselines_and_registers_drift_checks() -> None:
    definition = _build(baseline_uri=BASELINE)
    gate = next(s for s in definition["Steps"] if s["Type"] == "Condition")
    # Only a challenger that is registered replaces the baseline the monitors read.
    assert [(s["Name"], s["Type"]) for s in gate["Arguments"]["IfSteps"]] == [
        ("DataQualityBaseline", "QualityCheck"),
        ("RegisterModel", "RegisterModel"),
    ]
    check, register = gate["Arguments"]["IfSteps"]
    assert {key: check[key] for key in ("CheckType", "ModelPackageGroupName", "SkipCheck", "RegisterNewBaseline")} == {
        "CheckType": "DATA_QUALITY",
        "ModelPackageGroupName": GROUP_ARN,
        "SkipCheck": True,
        "RegisterNewBaseline": True,
    }
    arguments = check["Arguments"]
    assert arguments["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == BASELINE
    assert arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    assert json.loads(arguments["Environment"]["dataset_format"]) == {
        "csv": {"header": False, "output_columns_position": "START"}
    }
    assert "/sagemaker-model-monitor-analyzer:latest" in arguments["AppSpecification"]["ImageUri"]
    assert arguments["NetworkConfig"]["EnableNetworkIsolation"] is True
    drift = register["Arguments"]["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Constraints"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckConstraints"}
    assert drift["Statistics"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckStatistics"}
    metrics = register["Arguments"]["ModelMetrics"]
    assert set(metrics) == {"ModelQuality", "ModelDataQuality"}
    assert metrics["ModelDataQuality"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.CalculatedBaselineConstraints"
    }


def test_given_no_baseline_uri_then_no_quality_check_and_no_drift_check_baselines() -> None:
    steps = _steps(_build())
    assert "DataQualityBaseline" not in steps
    assert "DriftCheckBaselines" not in steps["RegisterModel"]["Arguments"]


@pytest.mark.parametrize("new_step", ["Tuning", "QualityCheck"])
def test_every_new_step_request_is_valid_for_its_sagemaker_api(new_step: str) -> None:
    props = {"tuning": _spec()} if new_step == "Tuning" else {"baseline_uri": BASELINE}
    steps = all_steps(_build(**props)["Steps"])
    assert new_step in [step["Type"] for step in steps]
    for step in steps:
        if step["Type"] in (new_step, "RegisterModel"):
            assert request_problems(step) == "", step["Name"]


def test_given_a_misspelled_tuning_field_then_the_shape_check_fails() -> None:
    tune = _steps(_build(tuning=_spec()))["Tune"]
    limits = tune["Arguments"]["HyperParameterTuningJobConfig"]["ResourceLimits"]
    limits["MaxParallelJobs"] = limits.pop("MaxParallelTrainingJobs")
    assert "MaxParallelJobs" in request_problems(tune)


def test_given_tuning_with_training_or_a_run_time_parent_or_a_bad_baseline_uri_then_one_error_names_each() -> None:
    parent = _spec(warm_start={"type": "TRANSFER_LEARNING", "parent_spec": "churn-bayes"})
    with pytest.raises(PropsError) as caught:
        _build(tuning=parent, training=TrainingSettings(), baseline_uri="churn/baselines/")
    message = str(caught.value)
    for text in ("training and tuning", "tuning.warm_start.parent_spec='churn-bayes'", "baseline_uri='churn/"):
        assert text in message


def test_given_a_regression_model_quality_baseline_then_the_prediction_is_the_inference_attribute() -> None:
    baseline = ModelQualityBaseline(output_uri=MODEL_QUALITY, problem_type="Regression")
    check = _steps(_build(model_quality_baseline=baseline))["ModelQualityBaseline"]
    environment = check["Arguments"]["Environment"]
    assert environment["problem_type"] == "Regression"
    assert environment["inference_attribute"] == "_c1" and environment["ground_truth_attribute"] == "_c0"
    assert "probability_attribute" not in environment and "probability_threshold_attribute" not in environment
    assert check["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == MODEL_QUALITY


def test_given_a_bad_model_quality_baseline_or_a_json_model_then_one_error_names_each() -> None:
    baseline = ModelQualityBaseline(output_uri="churn/mq/", problem_type="Regression", probability_threshold=0.5)
    with pytest.raises(PropsError) as caught:
        _build(model_quality_baseline=baseline, model_format=ModelFormat(content_types=("application/json",)))
    message = str(caught.value)
    for text in (
        "model_quality_baseline.output_uri='churn/mq/'",
        "model_quality_baseline.probability_threshold=0.5",
        "model_format=",
    ):
        assert text in message


def test_given_a_tuning_build_then_the_pipeline_role_creates_tuning_jobs_only_with_the_lifecycle_volume_key() -> None:
    stack = cdk.Stack(cdk.App(), "Lifecycle")
    storage = LifecycleStorage(stack, "Storage")
    PipelinePermissions(
        stack,
        "Permissions",
        pipeline_role=iam.Role.from_role_name(stack, "StepRole", "mlplatform-pipeline-step"),
        job_role=iam.Role.from_role_name(stack, "JobRole", "mlplatform-sagemaker-execution"),
        storage=storage,
        tuning=True,
    )
    template = cdk.assertions.Template.from_stack(stack).to_json()
    statements = [
        statement
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if policy["Properties"].get("Roles") == ["mlplatform-pipeline-step"]
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    (key,) = resources_of_type(template, "AWS::KMS::Key")
    job = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:hyper-parameter-tuning-job/abc123"
    create = "sagemaker:CreateHyperParameterTuningJob"
    assert allows(statements, create, job, {"sagemaker:VolumeKmsKey": f"<{key}.Arn>"})
    assert not allows(statements, create, job, {"sagemaker:VolumeKmsKey": "arn:aws:kms:us-east-1:1:key/other"})
    assert not allows(statements, create, job)
    # Pipelines names the job itself: watching and stopping it cannot be narrowed (the acknowledged wildcard).
    assert allows(statements, "sagemaker:DescribeHyperParameterTuningJob", job)
