"""The report step: reads the tuning job, renders, writes the report with the bucket key; faults and refusals."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

from sagemaker_platform import tuning_report
from tests.faults import ALL_KINDS, attempt, expected_task_error, fault_plan, inject, record_calls
from tests.offline_aws import Answer, offline_aws
from tests.tuning_report_data import TUNING_JOB, describe_tuning_job, training_job_summaries

ENV = {
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": "arn:aws:kms:us-east-1:111111111111:key/k",
    "AWS_REGION": "us-east-1",
}
KEY = f"output-bucket/tuning/{TUNING_JOB}/report.html"


class FakeAws:
    """SageMaker answering in two pages (so the paginator is exercised), S3 keeping what is put."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}

    def answers(self) -> dict[str, Answer]:
        summaries = training_job_summaries()

        def list_training_jobs(params: dict[str, Any]) -> dict[str, Any]:
            assert params["HyperParameterTuningJobName"] == TUNING_JOB
            if params.get("NextToken") is None:
                return {"TrainingJobSummaries": summaries[:7], "NextToken": "page-2"}
            return {"TrainingJobSummaries": summaries[7:]}

        def put_object(params: dict[str, Any]) -> dict[str, Any]:
            body = params["Body"]
            self.objects[f"{params['Bucket']}/{params['Key']}"] = {
                **params,
                "Body": body if isinstance(body, bytes) else body.read(),
            }
            return {}

        return {
            "DescribeHyperParameterTuningJob": describe_tuning_job(),
            "ListTrainingJobsForHyperParameterTuningJob": list_training_jobs,
            "PutObject": put_object,
        }


@pytest.fixture
def report(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {**ENV, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    module = load_handler("tuning_report")
    session = boto3.session.Session()
    clients: dict[str, Any] = {}
    monkeypatch.setattr(module.boto3, "client", lambda service: clients.setdefault(service, session.client(service)))
    return module


def test_given_a_finished_tuning_job_then_the_report_is_written_with_the_bucket_key(report: ModuleType) -> None:
    aws = FakeAws()
    with offline_aws(aws.answers()):
        result = report.handler({"tuning_job": TUNING_JOB}, None)
    assert result == {
        "report": {
            "s3_uri": f"s3://output-bucket/tuning/{TUNING_JOB}/report.html",
            "console_url": "https://us-east-1.console.aws.amazon.com/s3/object/output-bucket?region=us-east-1"
            f"&prefix=tuning%2F{TUNING_JOB}%2Freport.html",
        }
    }
    put = aws.objects[KEY]
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == ENV["KMS_KEY_ARN"]
    assert put["ContentType"].startswith("text/html")
    document = put["Body"].decode()
    # both pages of training jobs, and the log axis the tuning job's range asks for
    assert "<td>12</td><td>11</td>" in document  # 12 training jobs (two pages), 11 with an objective
    assert "eta (log scale)" in document and "max_depth (log scale)" not in document
    assert document.count('class="chart"') == 4  # over time, eta, max_depth, booster


def test_the_lambda_and_the_command_render_with_the_same_code(report: ModuleType) -> None:
    run = report.run_from_responses(describe_tuning_job(), training_job_summaries())
    assert report.render_html([run]) == tuning_report.render_html([run])
    # the same file on disk (the renderer is a package: `render_html` lives in its `document` module)
    assert tuning_report.render_html.__globals__["__file__"] == report.render_html.__globals__["__file__"]


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({}, "tuning_job: missing"),
        ({"tuning_job": ""}, "tuning_job=''"),
        ({"tuning_job": "bad_name!"}, "tuning_job='bad_name!'"),
        ({"tuning_job": "x" * 33}, "tuning_job='xxx"),
        ({"tuning_job": 7}, "tuning_job=7:"),
        (["tuning_job"], "expected {'tuning_job': <name>}"),
    ],
)
def test_given_a_malformed_event_then_a_typed_error_names_the_field_before_any_call(
    report: ModuleType, event: Any, field: str
) -> None:
    with offline_aws({}) as calls, pytest.raises(report.InvalidEventError) as raised:
        report.handler(event, None)
    assert field in str(raised.value) and calls == []
    assert type(raised.value).__mro__[1].__name__ == "HandlerError"  # the contract's, shared by every handler


def test_given_every_single_fault_then_the_retried_step_writes_the_report(report: ModuleType) -> None:
    aws = FakeAws()
    with offline_aws(aws.answers()):
        calls = record_calls(lambda: report.handler({"tuning_job": TUNING_JOB}, None))
        expected = aws.objects[KEY]["Body"]
    plan = fault_plan(calls)
    assert {str(fault.call) for fault in plan} == {
        "api.sagemaker:DescribeHyperParameterTuningJob",
        "api.sagemaker:ListTrainingJobsForHyperParameterTuningJob",
        "s3:PutObject",
    }
    assert len(plan) == len(calls) * len(ALL_KINDS) == 4 * 4  # two list pages
    for fault in plan:
        aws = FakeAws()
        with inject(fault) as injection, offline_aws(aws.answers()):
            _, failure = attempt(lambda: report.handler({"tuning_job": TUNING_JOB}, None))
        assert injection.fired and failure is not None and KEY not in aws.objects, fault
        assert type(failure).__name__ == expected_task_error(fault.kind), (fault, failure)
        with offline_aws(aws.answers()):  # the state machine's retry of the report task
            result = report.handler({"tuning_job": TUNING_JOB}, None)
        assert aws.objects[KEY]["Body"] == expected, fault  # the same report, nothing lost
        assert result["report"]["s3_uri"].endswith("/report.html")
