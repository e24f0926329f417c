"""The results report, built from tuning and training jobs created in moto.

moto emulates CreateHyperParameterTuningJob/Describe and the training jobs, but neither links training
jobs to a tuning job nor lets a job report a metric, and it does not implement
ListTrainingJobsForHyperParameterTuningJob. That one call is answered here from the moto training jobs
(their names, hyperparameters and times as moto describes them) with objective values set by the test.
"""

from __future__ import annotations

import importlib
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

# The renderer's tick module (the renderer is a package in the report Lambda's folder; `lambda` is a keyword).
TICKS = importlib.import_module("sagemaker_platform.lambda.tuning_report.report_render.ticks")

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
    # a point per scored training job, a ring on each tuning job's best, legend marks and texts
    # (the 2 jobs and "best job" on every chart, "best so far" on the time chart)
    assert report.count("<circle cx") == 3 * 7 + 3 * 3
    assert report.count('class="best"') == 3 * 2 and report.count('class="legend"') == 4 + 2 * 3
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


def test_given_a_logarithmic_range_then_its_axis_is_logarithmic_with_decade_ticks() -> None:
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
    scaling = {"eta": "Logarithmic", "depth": "Linear"}
    report = render_html([TuningRun("run", "Random", "Completed", "validation:f1", "Maximize", (), trials, scaling)])
    assert "eta (log scale)" in report and "depth (log scale)" not in report
    eta_chart = re.search(r'<svg[^>]*data-chart="hyperparameter-eta".*?</svg>', report, flags=re.S)
    assert eta_chart is not None
    ticks = re.findall(r'text-anchor="middle">([^<]+)</text>', eta_chart.group(0))
    assert ticks[:4] == ["0.001", "0.01", "0.1", "1"]
    # Auto (or no range known): a linear axis, as SageMaker's own charts draw it.
    linear = render_html([TuningRun("run", "Random", "Completed", "validation:f1", "Maximize", (), trials)])
    assert "(log scale)" not in linear


@pytest.mark.parametrize(
    ("value", "label"),
    [(0, "0"), (0.25, "0.25"), (1500, "1500"), (25000, "25k"), (2e6, "2M"), (1e-5, "1e-5"), (-0.0004, "-4e-4")],
)
def test_tick_labels_are_short(value: float, label: str) -> None:
    assert TICKS.format_number(value) == label


def test_linear_ticks_are_nice_numbers_covering_the_data() -> None:
    low, high, ticks = TICKS.axis_ticks(0.871, 0.967, log=False)
    assert [label for _, label in ticks] == ["0.85", "0.9", "0.95", "1"] and low <= 0.871 and high >= 0.967
