"""The training job launcher: moto for the jobs, a botocore Stubber for throttling and duplicates."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from moto import mock_aws

EVENT = json.loads((Path(__file__).parent.parent.parent / "events" / "tuning_launcher_batch.json").read_text())
ENVIRONMENT = {
    "JOB_NAME_PREFIX": "launch",
    "TRAINING_IMAGE": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "TRAINING_ROLE_ARN": "arn:aws:iam::123456789012:role/training",
    "DATA_BUCKET": "data-bucket",
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "INSTANCE_TYPE": "ml.m5.large",
    "INSTANCE_COUNT": "1",
    "VOLUME_SIZE_GB": "30",
    "MAX_RUN_SECONDS": "3600",
    "KEEP_ALIVE_SECONDS": "1800",
    "LAUNCH_INTERVAL_SECONDS": "2",
}


@pytest.fixture
def launcher(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {**ENVIRONMENT, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    return load_handler("tuning_launcher")


class FakeTime:
    """A clock that advances only when slept on, recording every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def stubbed(launcher: ModuleType) -> Iterator[tuple[Any, Stubber, FakeTime]]:
    client = boto3.client("sagemaker", region_name="us-east-1")
    fake = FakeTime()
    paced = launcher.Launcher(
        client, interval=2.0, sleep=fake.sleep, clock=fake.clock, jitter=lambda low, high: high, max_attempts=3
    )
    with Stubber(client) as stubber:
        yield paced, stubber, fake
        stubber.assert_no_pending_responses()


def record(job_id: str, message_id: str) -> dict[str, Any]:
    return {"messageId": message_id, "body": json.dumps({"job_id": job_id, "channels": {"train": "t/"}})}


def test_given_a_batch_then_valid_jobs_start_with_warm_pools_and_only_the_bad_message_fails(
    launcher: ModuleType,
) -> None:
    with mock_aws():
        result = launcher.handler(EVENT, None)
        client = boto3.client("sagemaker", region_name="us-east-1")
        names = sorted(job["TrainingJobName"] for job in client.list_training_jobs()["TrainingJobSummaries"])
        described = client.describe_training_job(TrainingJobName=names[0])
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-3"}]}
    assert names == sorted(
        launcher.training_job_name("launch", job_id) for job_id in ("customer-42-2026-11-23", "customer-43-2026-11-23")
    )
    assert described["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800
    assert described["OutputDataConfig"]["KmsKeyId"] == ENVIRONMENT["KMS_KEY_ARN"]


def test_given_the_same_job_id_twice_then_the_second_launch_counts_as_already_started(
    launcher: ModuleType, stubbed: tuple[Any, Stubber, FakeTime]
) -> None:
    paced, stubber, _ = stubbed
    template = launcher.Template.from_environment(ENVIRONMENT)
    # Both deliveries make the very same call (same deterministic name); SageMaker refuses the second.
    expected = launcher.create_request(template, launcher.parse_message(record("job-1", "a")["body"]))
    name = expected["TrainingJobName"]
    stubber.add_response(
        "create_training_job", {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:1:training-job/{name}"}, expected
    )
    stubber.add_client_error(
        "create_training_job",
        service_error_code="ResourceInUse",
        service_message="Training job names must be unique within an AWS account and region",
        http_status_code=400,
        expected_params=expected,
    )
    result = launcher.process_batch([record("job-1", "a"), record("job-1", "b")], template, paced)
    assert result == {"batchItemFailures": []}
    assert paced.calls == 2 and name == launcher.training_job_name("launch", "job-1")


def test_given_throttling_then_the_launcher_backs_off_and_starts_the_job(
    launcher: ModuleType, stubbed: tuple[Any, Stubber, FakeTime]
) -> None:
    paced, stubber, fake = stubbed
    template = launcher.Template.from_environment(ENVIRONMENT)
    for _ in range(2):
        stubber.add_client_error("create_training_job", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/x"})
    result = launcher.process_batch([record("job-1", "a")], template, paced)
    assert result == {"batchItemFailures": []}
    # Exponential backoff (1 s, 2 s), and the 2 s pacing between calls absorbed by those waits.
    assert fake.sleeps == [1.0, 1.0, 2.0]


def test_given_persistent_throttling_then_that_message_and_the_rest_of_the_batch_come_back(
    launcher: ModuleType, stubbed: tuple[Any, Stubber, FakeTime]
) -> None:
    paced, stubber, _ = stubbed
    template = launcher.Template.from_environment(ENVIRONMENT)
    stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/x"})
    for _ in range(3):
        stubber.add_client_error("create_training_job", service_error_code="ThrottlingException", http_status_code=400)
    batch = [record("job-1", "a"), record("job-2", "b"), record("job-3", "c")]
    result = launcher.process_batch(batch, template, paced)
    assert result == {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}
    assert paced.calls == 4  # job-3 was not even tried: CreateTrainingJob was saturated


def test_given_consecutive_launches_then_calls_are_spaced_by_the_interval(
    launcher: ModuleType, stubbed: tuple[Any, Stubber, FakeTime]
) -> None:
    paced, stubber, fake = stubbed
    template = launcher.Template.from_environment(ENVIRONMENT)
    for _ in range(3):
        stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/x"})
    launcher.process_batch([record(f"job-{i}", str(i)) for i in range(3)], template, paced)
    assert fake.sleeps == [2.0, 2.0]


def test_given_another_service_error_then_only_that_message_fails(
    launcher: ModuleType, stubbed: tuple[Any, Stubber, FakeTime]
) -> None:
    paced, stubber, _ = stubbed
    template = launcher.Template.from_environment(ENVIRONMENT)
    stubber.add_client_error("create_training_job", service_error_code="ResourceLimitExceeded", http_status_code=400)
    stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/x"})
    result = launcher.process_batch([record("job-1", "a"), record("job-2", "b")], template, paced)
    assert result == {"batchItemFailures": [{"itemIdentifier": "a"}]}


@pytest.mark.parametrize(
    "body,message",
    [
        ("not json", "not JSON"),
        ('["job"]', "must be an object"),
        ('{"job_id": "a", "channels": {"train": "t/"}, "extra": 1}', "unknown key"),
        ('{"job_id": "a", "channels": {"train": "s3://other/"}}', "inside the data bucket"),
        ('{"job_id": "a", "channels": {"train": "t/"}, "hyperparameters": {"eta": 0.2}}', "string values"),
    ],
)
def test_given_a_malformed_message_then_it_is_refused_with_a_reason(
    launcher: ModuleType, body: str, message: str
) -> None:
    with pytest.raises(launcher.InvalidMessageError, match=message):
        launcher.parse_message(body)


def test_given_a_keep_alive_above_an_hour_then_the_template_is_refused(launcher: ModuleType) -> None:
    with pytest.raises(ValueError, match="between 0 and 3600"):
        launcher.Template.from_environment({**ENVIRONMENT, "KEEP_ALIVE_SECONDS": "3601"})


def test_given_a_launch_request_then_it_validates_against_botocore(launcher: ModuleType) -> None:
    import botocore.session
    from botocore.validate import validate_parameters

    shape = (
        botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateTrainingJob").input_shape
    )
    request = launcher.create_request(
        launcher.Template.from_environment(ENVIRONMENT), launcher.parse_message(EVENT["Records"][0]["body"])
    )
    validate_parameters(request, shape)


# --- at scale: spot with checkpoints, distribution (issue 19 point 4) -------------------------------------

SPOT = {**ENVIRONMENT, "USE_SPOT": "true", "MAX_WAIT_SECONDS": "7200", "KEEP_ALIVE_SECONDS": "0"}
DISTRIBUTED = {
    **ENVIRONMENT,
    "INSTANCE_TYPE": "ml.p4d.24xlarge",
    "INSTANCE_COUNT": "2",
    "DISTRIBUTION_HYPERPARAMETERS": json.dumps(
        {"sagemaker_torch_distributed_enabled": "true", "sagemaker_instance_type": '"ml.p4d.24xlarge"'}
    ),
}


def _request(launcher: ModuleType, env: dict[str, str], body: str | None = None) -> dict[str, Any]:
    template = launcher.Template.from_environment(env)
    return launcher.create_request(template, launcher.parse_message(body or EVENT["Records"][0]["body"]))


def _problems(request: dict[str, Any]) -> str:
    shape = (
        botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateTrainingJob").input_shape
    )
    report = ParamValidator().validate(request, shape)
    return report.generate_report() if report.has_errors() else ""


def test_given_spot_then_each_job_waits_and_checkpoints_under_its_own_name(launcher: ModuleType) -> None:
    request = _request(launcher, SPOT)
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    name = request["TrainingJobName"]
    assert request["CheckpointConfig"] == {
        "S3Uri": f"s3://output-bucket/checkpoints/{name}/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    assert _problems(request) == ""


def test_given_on_demand_then_no_spot_fields(launcher: ModuleType) -> None:
    request = _request(launcher, ENVIRONMENT)
    assert "EnableManagedSpotTraining" not in request and "CheckpointConfig" not in request


def test_given_a_wait_shorter_than_the_run_then_the_template_is_refused(launcher: ModuleType) -> None:
    with pytest.raises(ValueError, match="MAX_WAIT_SECONDS=60: must be >= MAX_RUN_SECONDS"):
        launcher.Template.from_environment({**SPOT, "MAX_WAIT_SECONDS": "60"})


def test_given_a_distribution_then_every_job_carries_its_hyperparameters(launcher: ModuleType) -> None:
    request = _request(launcher, DISTRIBUTED)
    assert request["HyperParameters"]["sagemaker_torch_distributed_enabled"] == "true"
    assert request["ResourceConfig"]["InstanceCount"] == 2
    assert request["EnableInterContainerTrafficEncryption"] is True
    assert _problems(request) == ""


def test_given_a_message_that_overrides_a_distribution_hyperparameter_then_it_is_refused_naming_it(
    launcher: ModuleType,
) -> None:
    body = json.dumps(
        {"job_id": "x", "hyperparameters": {"sagemaker_torch_distributed_enabled": "false"}, "channels": {"t": "a/"}}
    )
    with pytest.raises(launcher.InvalidMessageError, match=r"hyperparameters\.sagemaker_torch_distributed_enabled"):
        _request(launcher, DISTRIBUTED, body)


def test_given_a_misspelled_checkpoint_field_then_the_shape_check_fails(launcher: ModuleType) -> None:
    request = _request(launcher, SPOT)
    request["CheckpointConfig"]["S3Url"] = request["CheckpointConfig"].pop("S3Uri")
    assert "S3Url" in _problems(request)
