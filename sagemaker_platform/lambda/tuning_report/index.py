"""Writes the tuning report of a finished tuning job to the tuning output bucket; returns where it is.

Event (from the state machine, after the tuning job's .sync task)::

    {"tuning_job": "<HyperParameterTuningJobName>"}

Reads the tuning job (DescribeHyperParameterTuningJob) and its training jobs
(ListTrainingJobsForHyperParameterTuningJob), renders the self-contained HTML report (`report_render`,
shared with ``python -m sagemaker_platform.tuning_report``) and puts it at
``tuning/<tuning job>/report.html``, encrypted with the bucket's key. Returns
``{"report": {"s3_uri": ..., "console_url": ...}}``. A retry rewrites the same object, so a failed
attempt loses nothing and a repeated one duplicates nothing.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from errors import InvalidEventError
from report_render import render_html, run_from_responses

from sagemaker_platform.contracts.aws_faults import typed_aws_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

# SageMaker's rule for tuning job names.
TUNING_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    tuning_job = parse_event(event)
    with typed_aws_errors():  # AwsTransientError is retried by the state machine, AwsPermanentError is not
        return write_report(
            tuning_job,
            sagemaker=boto3.client("sagemaker"),
            s3=boto3.client("s3"),
            bucket=os.environ["OUTPUT_BUCKET"],
            kms_key_arn=os.environ["KMS_KEY_ARN"],
            region=os.environ["AWS_REGION"],
        )


def parse_event(event: Any) -> str:
    """The tuning job name; `InvalidEventError` naming the field, before any AWS call."""
    if not isinstance(event, dict):
        raise InvalidEventError(f"expected {{'tuning_job': <name>}}, got {str(event)[:300]}")
    if "tuning_job" not in event:
        raise InvalidEventError("tuning_job: missing (expected the tuning job name)")
    name = event["tuning_job"]
    if not isinstance(name, str) or not TUNING_JOB_NAME.match(name):
        raise InvalidEventError(f"tuning_job={repr(name)[:100]}: not a tuning job name (1-32 letters, digits, hyphens)")
    return name


def report_key(tuning_job: str) -> str:
    return f"tuning/{tuning_job}/report.html"


def write_report(
    tuning_job: str, *, sagemaker: SageMakerClient, s3: S3Client, bucket: str, kms_key_arn: str, region: str
) -> dict[str, Any]:
    job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_job)
    summaries: list[Any] = []
    paginator = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    for page in paginator.paginate(HyperParameterTuningJobName=tuning_job):
        summaries.extend(page["TrainingJobSummaries"])
    document = render_html([run_from_responses(job, summaries)], title=f"Tuning report: {tuning_job}")
    key = report_key(tuning_job)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=document.encode(),
        ContentType="text/html; charset=utf-8",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key_arn,
    )
    return {
        "report": {
            "s3_uri": f"s3://{bucket}/{key}",
            # The console's object page (download or open from there; the object stays private).
            "console_url": f"https://{region}.console.aws.amazon.com/s3/object/{bucket}"
            f"?region={region}&prefix={quote(key, safe='')}",
        }
    }
