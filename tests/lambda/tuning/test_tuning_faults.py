"""The tuning handlers under one fault at a time (issue 14): no job or model version lost or duplicated.

SageMaker, S3 and STS are small stateful fakes answering after botocore validated each call
(`tests.offline_aws`): moto does not refuse a second CreateTrainingJob of the same name (ResourceInUse), which
is what makes the launcher idempotent. The platform's retry follows each fault: SQS redelivers the records
in `batchItemFailures` (or the whole batch after an error), Step Functions retries the register task.
The request builder makes no AWS call at all, which is asserted instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.faults import Fault, attempt, expected_task_error, fault_plan, inject, record_calls
from tests.handler_targets import LAUNCHER_ENV, REGISTER_ENV, REGISTER_SETTINGS, REQUEST_ENV, SPEC, TUNING_JOB
from tests.offline_aws import Answer, error, offline_aws

REGION = "us-east-1"
MAX_DELIVERIES = 5


class FakeSageMaker:
    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.packages: list[dict[str, Any]] = []
        self.repeated = 0  # CreateTrainingJob calls for a job that had started already
        self.objects: dict[str, bytes] = {"output-bucket/tuning/best/output/model.tar.gz": b"model bytes"}

    def answers(self) -> dict[str, Answer]:
        def create_training_job(params: dict[str, Any]) -> dict[str, Any]:
            name = params["TrainingJobName"]
            if name in self.jobs:
                self.repeated += 1
                return error("ResourceInUse", f"Training job {name} already exists")
            self.jobs[name] = params
            return {"TrainingJobArn": f"arn:aws:sagemaker:{REGION}:111111111111:training-job/{name}"}

        def create_model_package(params: dict[str, Any]) -> dict[str, Any]:
            # SageMaker returns the first version again for a repeated ClientToken.
            for package in self.packages:
                if package["ClientToken"] == params["ClientToken"]:
                    return {"ModelPackageArn": package["arn"]}
            arn = f"arn:aws:sagemaker:{REGION}:111111111111:model-package/churn/{len(self.packages) + 1}"
            self.packages.append({**params, "arn": arn})
            return {"ModelPackageArn": arn}

        def put_object(params: dict[str, Any]) -> dict[str, Any]:
            body = params["Body"]
            self.objects[f"{params['Bucket']}/{params['Key']}"] = body if isinstance(body, bytes) else body.read()
            return {}

        def get_object(params: dict[str, Any]) -> dict[str, Any]:
            import io

            from botocore.response import StreamingBody

            data = self.objects[f"{params['Bucket']}/{params['Key']}"]
            return {"Body": StreamingBody(io.BytesIO(data), len(data))}

        return {
            "CreateTrainingJob": create_training_job,
            "CreateModelPackage": create_model_package,
            "PutObject": put_object,
            "GetObject": get_object,
            "DescribeTrainingJob": {
                "TrainingJobName": "best",
                "ModelArtifacts": {"S3ModelArtifacts": "s3://output-bucket/tuning/best/output/model.tar.gz"},
            },
            "AssumeRole": {
                "Credentials": {
                    "AccessKeyId": "AKIAEXAMPLE",
                    "SecretAccessKey": "s",
                    "SessionToken": "t",
                    "Expiration": "2030-01-01T00:00:00Z",
                }
            },
        }


def environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for key, value in {**values, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")


# --- launcher ---------------------------------------------------------------------------------------------

BATCH = {
    "Records": [
        {"messageId": f"m-{n}", "body": json.dumps({"job_id": f"customer-{n}", "channels": {"train": f"c/{n}/"}})}
        for n in range(3)
    ]
}


@pytest.fixture
def launcher(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    environment(monkeypatch, LAUNCHER_ENV)
    module = load_handler("tuning_launcher")
    module._launcher = module.Launcher(boto3.client("sagemaker"), interval=0.0, sleep=lambda _: None)
    return module


def deliver_until_done(launcher: ModuleType, sagemaker: FakeSageMaker) -> int:
    """SQS delivering the batch, then each redelivery of what failed; the number of deliveries."""
    pending = BATCH["Records"]
    for delivery in range(1, MAX_DELIVERIES + 1):
        with offline_aws(sagemaker.answers()):
            result, error_ = attempt(lambda: launcher.handler({"Records": pending}, None))  # noqa: B023
        failed = (
            {r["messageId"] for r in pending} if error_ else {i["itemIdentifier"] for i in result["batchItemFailures"]}
        )
        pending = [record for record in pending if record["messageId"] in failed]
        if not pending:
            return delivery
    raise AssertionError(f"records still failing after {MAX_DELIVERIES} deliveries: {pending}")


def launcher_plan(launcher: ModuleType) -> list[Fault]:
    sagemaker = FakeSageMaker()
    with offline_aws(sagemaker.answers()):
        calls = record_calls(lambda: launcher.handler(BATCH, None))
    return fault_plan(calls)


def test_given_every_single_fault_then_each_job_starts_exactly_once(launcher: ModuleType) -> None:
    plan = launcher_plan(launcher)
    assert len(plan) == 3 * 4  # three CreateTrainingJob calls x four kinds
    for fault in plan:
        sagemaker = FakeSageMaker()
        with inject(fault) as injection:
            deliveries = deliver_until_done(launcher, sagemaker)
        assert injection.fired, fault
        assert len(sagemaker.jobs) == 3, fault  # none lost, none twice (the names derive from job_id)
        assert deliveries <= 2, fault
        assert sagemaker.repeated == 0, fault  # only the faulted record came back, not the batch


# --- register ---------------------------------------------------------------------------------------------

EVENT = {
    "tuning": {
        "HyperParameterTuningJobName": TUNING_JOB,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{REGION}:111111111111:"
        f"hyper-parameter-tuning-job/{TUNING_JOB}",
        "BestTrainingJob": {
            "TrainingJobName": "best",
            "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:auc", "Value": 0.9},
        },
    },
    "register": REGISTER_SETTINGS,
}


@pytest.fixture
def register(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    environment(monkeypatch, REGISTER_ENV)
    module = load_handler("tuning_register")
    # One session for every run: a new one reloads the service models (seconds per fault under load).
    session = boto3.session.Session()
    clients: dict[str, Any] = {}
    monkeypatch.setattr(module.boto3, "client", lambda service: clients.setdefault(service, session.client(service)))
    monkeypatch.setattr(module.boto3, "Session", lambda **_: session)
    return module


def test_given_every_single_fault_then_the_retried_step_registers_exactly_one_version(register: ModuleType) -> None:
    sagemaker = FakeSageMaker()
    with offline_aws(sagemaker.answers()):
        plan = fault_plan(record_calls(lambda: register.handler(EVENT, None)))
    assert {str(fault.call) for fault in plan} >= {"sts:AssumeRole", "api.sagemaker:CreateModelPackage", "s3:PutObject"}
    for fault in plan:
        sagemaker = FakeSageMaker()
        with inject(fault) as injection, offline_aws(sagemaker.answers()):
            _, failure = attempt(lambda: register.handler(EVENT, None))
        assert injection.fired and failure is not None, fault
        # A transient fault ends as the retried type; access denied as the permanent one (caught, notified).
        assert type(failure).__name__ == expected_task_error(fault.kind), (fault, failure)
        with offline_aws(sagemaker.answers()):  # the state machine's retry of the register task
            result = register.handler(EVENT, None)
        assert len(sagemaker.packages) == 1, fault
        assert result["model_data_url"] == f"s3://models-bucket/churn/{TUNING_JOB}/model.tar.gz"
        assert sagemaker.objects[f"models-bucket/churn/{TUNING_JOB}/model.tar.gz"] == b"model bytes"


# --- request ----------------------------------------------------------------------------------------------


def test_the_request_builder_makes_no_aws_call_so_no_fault_can_reach_it(
    load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment(monkeypatch, REQUEST_ENV)
    handler = load_handler("tuning_request")
    event = {"specs": {}, "input": {"spec": SPEC}, "execution_id": "arn:aws:states:us-east-1:1:execution:t:r"}
    with offline_aws({}):  # any call would raise Unanswered
        assert record_calls(lambda: handler.handler(event, None)) == []
