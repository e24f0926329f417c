"""Register-best-model against moto: the tuning job, its best training job and the registry are emulated."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
STEP_ROLE = "mlplatform-pipeline-step"
SETTINGS = {
    "spec_name": "churn-xgb",
    "model_package_group": "churn",
    "objective": {"metric": "validation:auc", "type": "Maximize"},
    "inference_image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "content_types": ["text/csv"],
    "response_types": ["text/csv"],
}


@pytest.fixture
def register(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    return load_handler("tuning_register")


@pytest.fixture
def account(register: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A moto account with the output bucket, the key, the group, and a finished tuning job."""
    with mock_aws():
        key_arn = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="output-bucket")
        s3.create_bucket(Bucket="mlplatform-models-123456789012-us-east-1")
        iam = boto3.client("iam")
        role_arn = iam.create_role(RoleName=STEP_ROLE, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        sagemaker = boto3.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName="churn")
        sagemaker.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="churn-xgb-0123456789ab",
            HyperParameterTuningJobConfig={
                "Strategy": "Bayesian",
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
            },
        )
        tuning = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="churn-xgb-0123456789ab")
        # moto reports a fixed best training job; create it so that its artifacts can be described.
        sagemaker.create_training_job(
            TrainingJobName=tuning["BestTrainingJob"]["TrainingJobName"],
            AlgorithmSpecification={"TrainingImage": SETTINGS["inference_image"], "TrainingInputMode": "File"},
            RoleArn="arn:aws:iam::123456789012:role/training",
            OutputDataConfig={"S3OutputPath": "s3://output-bucket/tuning/churn-xgb-0123456789ab/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
        model_key = f"tuning/churn-xgb-0123456789ab/{tuning['BestTrainingJob']['TrainingJobName']}/output/model.tar.gz"
        s3.put_object(Bucket="output-bucket", Key=model_key, Body=b"model bytes")
        for key, value in {
            "PIPELINE_STEP_ROLE_ARN": role_arn,
            "OUTPUT_BUCKET": "output-bucket",
            "KMS_KEY_ARN": key_arn,
            "REGISTRY_ACCOUNT": "",
            "MODEL_ARTIFACTS_BUCKET": "mlplatform-models-123456789012-us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        # What the .sync task hands on: the Describe response, as JSON.
        yield {"tuning": json.loads(json.dumps(tuning, default=str)), "register": SETTINGS}


def test_given_a_finished_tuning_job_then_its_best_model_is_registered_pending_approval(
    register: ModuleType, account: dict[str, Any]
) -> None:
    result = register.handler(account, None)
    sagemaker = boto3.client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=result["model_package_arn"])
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageGroupName"] == "churn"
    objective = account["tuning"]["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]
    assert package["CustomerMetadataProperties"]["objective_metric"] == objective["MetricName"]
    assert float(package["CustomerMetadataProperties"]["objective_value"]) == float(objective["Value"])
    statistics = json.loads(read(package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]))
    assert statistics["objective_metric"]["value"] == float(objective["Value"])


def test_given_the_registry_artifacts_bucket_then_the_model_is_copied_there_and_registered_from_it(
    register: ModuleType, account: dict[str, Any]
) -> None:
    result = register.handler(account, None)
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=result["model_package_arn"])
    model_data = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_data == "s3://mlplatform-models-123456789012-us-east-1/churn/churn-xgb-0123456789ab/model.tar.gz"
    assert read(model_data) == b"model bytes"
    metrics = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert metrics.startswith("s3://mlplatform-models-123456789012-us-east-1/churn/churn-xgb-0123456789ab/")


def test_given_no_registry_artifacts_bucket_then_the_package_points_at_the_tuning_output(
    register: ModuleType, account: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_ARTIFACTS_BUCKET", "")
    result = register.handler(account, None)
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=result["model_package_arn"])
    best = account["tuning"]["BestTrainingJob"]["TrainingJobName"]
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == (
        f"s3://output-bucket/tuning/churn-xgb-0123456789ab/{best}/output/model.tar.gz"
    )
    assert package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].startswith("s3://output-bucket/tuning/")


def read(uri: str) -> bytes:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_given_no_best_training_job_then_registration_fails_with_a_reason(
    register: ModuleType, account: dict[str, Any]
) -> None:
    account["tuning"].pop("BestTrainingJob")
    with pytest.raises(register.NoBestTrainingJobError, match="no training job reported the objective metric"):
        register.handler(account, None)
    assert boto3.client("sagemaker").list_model_packages(ModelPackageGroupName="churn")["ModelPackageSummaryList"] == []


def test_given_a_malformed_event_then_it_is_refused(register: ModuleType) -> None:
    with pytest.raises(register.InvalidEventError, match="register settings lack"):
        register.parse_event({"tuning": {"HyperParameterTuningJobName": "x"}, "register": {"objective": {}}})


def test_given_a_registry_account_then_the_group_is_referenced_by_arn(register: ModuleType) -> None:
    tuning_arn = "arn:aws:sagemaker:eu-west-1:333333333333:hyper-parameter-tuning-job/churn-xgb-0123456789ab"
    assert register.group_reference("churn", "222222222222", tuning_arn) == (
        "arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/churn"
    )
    assert register.group_reference("churn", "", tuning_arn) == "churn"


def test_given_a_retried_step_then_the_client_token_is_the_same(register: ModuleType) -> None:
    token = register.client_token("arn:aws:sagemaker:eu-west-1:1:hyper-parameter-tuning-job/a")
    assert token == register.client_token("arn:aws:sagemaker:eu-west-1:1:hyper-parameter-tuning-job/a")
    assert len(token) <= 36 and token != register.client_token(
        "arn:aws:sagemaker:eu-west-1:1:hyper-parameter-tuning-job/b"
    )


def test_given_a_run_time_spec_without_a_name_then_the_model_registers_without_the_spec_metadata(
    register: ModuleType, account: dict[str, Any]
) -> None:
    # Before: an empty `tuning_spec` metadata value failed CreateModelPackage after the artifact was copied.
    event = {**account, "register": {key: value for key, value in SETTINGS.items() if key != "spec_name"}}
    result = register.handler(event, None)
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=result["model_package_arn"])
    assert "tuning_spec" not in package["CustomerMetadataProperties"]
