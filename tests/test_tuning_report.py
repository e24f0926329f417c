"""The results report, built from tuning and training jobs created in moto.

moto emulates CreateHyperParameterTuningJob/Describe and the training jobs, but neither links training
jobs to a tuning job nor lets a job report a metric, and it does not implement
ListTrainingJobsForHyperParameterTuningJob. That one call is answered here from the moto training jobs
(their names, hyperparameters and times as moto describes them) with objective values set by the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from sagemaker_platform.tuning_report import Trial, TuningRun, collect, main, render_html

OBJECTIVES = {
    "churn-bayes": [0.91, 0.95, 0.93, 0.967],
    "churn-random": [0.90, 0.919, 0.88],
}


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("sagemaker")
        for tuning, strategy in (("churn-bayes", "Bayesian"), ("churn-random", "Random")):
            client.create_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=tuning,
                HyperParameterTuningJobConfig={
                    "Strategy": strategy,
                    "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:f1"},
                    "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
                },
            )
            for index, _ in enumerate(OBJECTIVES[tuning]):
                client.create_training_job(
                    TrainingJobName=f"{tuning}-{index:03d}-abcdef",
                    HyperParameters={"eta": str(0.05 * (index + 1)), "booster": ["gbtree", "dart"][index % 2]},
                    AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
                    RoleArn="arn:aws:iam::123456789012:role/training",
                    OutputDataConfig={"S3OutputPath": "s3://output/"},
                    ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
                    StoppingCondition={"MaxRuntimeInSeconds": 3600},
                )
        client.meta.events.register(
            "before-call.sagemaker.ListTrainingJobsForHyperParameterTuningJob", _answer_from_moto(client)
        )
        yield client


def _answer_from_moto(client: Any) -> Any:
    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        tuning = json.loads(params["body"])["HyperParameterTuningJobName"]
        summaries = []
        for index, value in enumerate(OBJECTIVES[tuning]):
            job = client.describe_training_job(TrainingJobName=f"{tuning}-{index:03d}-abcdef")
            summaries.append(
                {
                    "TrainingJobName": job["TrainingJobName"],
                    "TrainingJobArn": job["TrainingJobArn"],
                    "CreationTime": job["CreationTime"],
                    "TrainingStartTime": job["TrainingStartTime"],
                    "TrainingEndTime": job["TrainingEndTime"],
                    "TrainingJobStatus": job["TrainingJobStatus"],
                    "TunedHyperParameters": job["HyperParameters"],
                    "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:f1", "Value": value},
                }
            )
        return AWSResponse("https://sagemaker.moto", 200, {}, None), {"TrainingJobSummaries": summaries}

    return answer


def test_given_two_tuning_jobs_then_the_report_compares_them(sagemaker: Any) -> None:
    runs = collect(sagemaker, ["churn-bayes", "churn-random"])
    assert [run.strategy for run in runs] == ["Bayesian", "Random"]
    assert [run.best(1)[0].objective for run in runs] == [0.967, 0.919]
    report = render_html(runs, top=3)
    assert (
        report.startswith("<!DOCTYPE html>")
        and "<script" not in report
        and "http://" not in report.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    # the objective over time (2 tuning jobs, each with a best-so-far line), and one chart per hyperparameter
    assert report.count("<svg") == 3 and report.count("<path") == 2
    assert report.count("<circle") == 3 * 7
    for svg in re.findall(r"<svg.*?</svg>", report, flags=re.S):
        ElementTree.fromstring(svg)  # each chart is well-formed SVG
    best_rows = re.findall(r"<tr><td>1</td><td>([^<]+)</td><td>([^<]+)</td>", report)
    assert best_rows == [("churn-bayes-003-abcdef", "0.967"), ("churn-random-001-abcdef", "0.919")]


def test_given_a_best_so_far_line_then_it_never_gets_worse(sagemaker: Any) -> None:
    (run,) = collect(sagemaker, ["churn-bayes"])
    best = [max(OBJECTIVES["churn-bayes"][: i + 1]) for i in range(4)]
    assert best == [0.91, 0.95, 0.95, 0.967]
    assert [t.objective for t in run.best(4)] == sorted(OBJECTIVES["churn-bayes"], reverse=True)


def test_the_command_writes_a_self_contained_file(sagemaker: Any, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["--tuning-job", "churn-bayes", "--out", str(out)], client=sagemaker) == 0
    text = out.read_text()
    assert "churn-bayes" in text and "<svg" in text


def test_given_a_hyperparameter_spanning_decades_then_its_axis_is_logarithmic() -> None:
    start = datetime(2026, 11, 23, 10, 0)
    trials = tuple(
        Trial(
            f"job-{i}",
            "Completed",
            0.9 + i / 100,
            {"eta": eta, "depth": str(i + 2)},
            start,
            start + timedelta(minutes=i),
        )
        for i, eta in enumerate(["0.001", "0.01", "0.1", "1"])
    )
    report = render_html([TuningRun("run", "Random", "Completed", "validation:f1", "Maximize", (), trials)])
    assert "log10(eta)" in report and "log10(depth)" not in report
