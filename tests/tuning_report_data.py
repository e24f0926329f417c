"""A synthetic tuning job as SageMaker describes it: 12 training jobs, a Logarithmic range, one that failed.

Shared by the report handler tests and the headless-Chromium rendering test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

TUNING_JOB = "churn-bayes-1a2b3c4d5e6f"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ETAS = ["0.0003", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.3", "0.5", "0.00015"]


def describe_tuning_job(name: str = TUNING_JOB) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:us-east-1:111111111111:hyper-parameter-tuning-job/{name}",
        "HyperParameterTuningJobStatus": "Completed",
        "CreationTime": START,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 12, "MaxParallelTrainingJobs": 3},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "eta", "MinValue": "0.0001", "MaxValue": "1", "ScalingType": "Logarithmic"}
                ],
                "IntegerParameterRanges": [
                    {"Name": "max_depth", "MinValue": "2", "MaxValue": "10", "ScalingType": "Linear"}
                ],
                "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
            },
        },
        "TrainingJobStatusCounters": {"Completed": 11, "Failed": 1},
    }


def training_job_summaries(name: str = TUNING_JOB) -> list[dict[str, Any]]:
    summaries = []
    for index, eta in enumerate(ETAS):
        started = START + timedelta(minutes=7 * index)
        summary: dict[str, Any] = {
            "TrainingJobName": f"{name[:19]}-{index:03d}-abcdef",
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:111111111111:training-job/{name[:19]}-{index:03d}",
            "CreationTime": started,
            "TrainingStartTime": started,
            "TrainingEndTime": started + timedelta(minutes=11 + index % 4),
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": {
                "eta": eta,
                "max_depth": str(2 + index % 8),
                "booster": '"' + ["gbtree", "dart"][index % 2] + '"',
            },
        }
        if index == 5:
            summary["TrainingJobStatus"] = "Failed"  # reports no objective: absent from the charts
        else:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "MetricName": "validation:auc",
                "Value": 0.80 + 0.15 * (1 - abs(index - 7) / 8) + 0.002 * index,
            }
        summaries.append(summary)
    return summaries
