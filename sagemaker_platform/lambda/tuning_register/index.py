"""Registers the best training job of a finished tuning job as a model package, PendingManualApproval.

Event (from the state machine)::

    {"tuning": {<DescribeHyperParameterTuningJob response, as the .sync task returns it>},
     "register": {"model_package_group": ..., "objective": {"metric": ..., "type": ...},
                  "inference_image": ..., "content_types": [...], "response_types": [...], "spec_name": ...}}

The model artifact is copied from the tuning output bucket (read with this function's role) into the
registry's artifacts bucket under ``<group>/<tuning job>/model.tar.gz`` (written as the pipeline-step
role), so that staging and prod deploy from the registry, as for every other model version; without
a MODEL_ARTIFACTS_BUCKET the package points at the tuning output bucket.

The objective metric goes into the package twice: as CustomerMetadataProperties (shown in the
registry and in the approval event) and as ModelMetrics statistics (a JSON document next to the
registered artifact, or in the tuning output bucket). CreateModelPackage runs as the pipeline-step
role, which this function's role assumes and which the registry trusts. The ClientToken derives
from the tuning job ARN, so a retried step registers no second version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import TYPE_CHECKING, Any

import boto3
from errors import InvalidEventError, NoBestTrainingJobError, NoModelArtifactsError

from sagemaker_platform.contracts import names
from sagemaker_platform.contracts.aws_faults import typed_aws_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

APPROVAL_STATUS = "PendingManualApproval"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    tuning, settings = parse_event(event)
    # A failed AWS call ends the attempt as AwsTransientError (the state machine retries the whole step, which
    # is repeatable) or AwsPermanentError (caught and notified).
    with typed_aws_errors():
        registry = registry_session(os.environ["PIPELINE_STEP_ROLE_ARN"])
        return register_best_model(
            tuning,
            settings,
            sagemaker=boto3.client("sagemaker"),
            registry_sagemaker=registry.client("sagemaker"),
            s3=boto3.client("s3"),
            registry_s3=registry.client("s3"),
            output_bucket=os.environ["OUTPUT_BUCKET"],
            kms_key_arn=os.environ["KMS_KEY_ARN"],
            registry_account=os.environ.get("REGISTRY_ACCOUNT", ""),
            artifacts_bucket=os.environ.get("MODEL_ARTIFACTS_BUCKET", ""),
        )


# SageMaker's name rules for what this step passes on (the .sync output and the register settings).
NAME = names.NAME_63_RE
TUNING_JOB_NAME = names.TUNING_JOB_NAME_RE
TUNING_JOB_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:hyper-parameter-tuning-job/\S+$")
OBJECTIVE_TYPES = ("Maximize", "Minimize")


def parse_event(event: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tuning job description and the register settings; `InvalidEventError` naming every bad field.

    Everything the registration uses is checked here, before any AWS call: a bad field found later would
    leave an artifact copied with no model package registered for it.
    """
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("tuning"), dict)
        or not isinstance(event.get("register"), dict)
    ):
        raise InvalidEventError(f"expected {{'tuning': {{...}}, 'register': {{...}}}}, got {str(event)[:500]}")
    tuning, settings = event["tuning"], event["register"]
    missing = sorted(
        {"model_package_group", "objective", "inference_image", "content_types", "response_types"} - set(settings)
    )
    if missing:
        raise InvalidEventError(f"register settings lack {missing}")
    if "HyperParameterTuningJobName" not in tuning:
        raise InvalidEventError("tuning lacks HyperParameterTuningJobName")
    problems = _tuning_problems(tuning) + _settings_problems(settings)
    if problems:
        raise InvalidEventError("; ".join(problems))
    return tuning, settings


def _tuning_problems(tuning: dict[str, Any]) -> list[str]:
    problems = []
    name = tuning["HyperParameterTuningJobName"]
    if not isinstance(name, str) or not TUNING_JOB_NAME.match(name):
        problems.append(f"tuning.HyperParameterTuningJobName={name!r}: not a tuning job name")
    arn = tuning.get("HyperParameterTuningJobArn")
    if arn is not None and not (isinstance(arn, str) and TUNING_JOB_ARN.match(arn)):
        problems.append(f"tuning.HyperParameterTuningJobArn={arn!r}: not a tuning job ARN")
    best = tuning.get("BestTrainingJob")
    if best is None:
        return problems  # no best job: register_best_model says so (NoBestTrainingJobError)
    if not isinstance(best, dict):
        return [*problems, f"tuning.BestTrainingJob: expected an object, got {type(best).__name__}"]
    job = best.get("TrainingJobName")
    if not isinstance(job, str) or not NAME.match(job):
        problems.append(f"tuning.BestTrainingJob.TrainingJobName={job!r}: not a training job name")
    hyperparameters = best.get("TunedHyperParameters", {})
    if not isinstance(hyperparameters, dict) or not all(isinstance(v, str) for v in hyperparameters.values()):
        problems.append("tuning.BestTrainingJob.TunedHyperParameters: expected an object of strings")
    objective = best.get("FinalHyperParameterTuningJobObjectiveMetric")
    if objective is None:
        return problems
    where = "tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric"
    if not isinstance(objective, dict):
        return [*problems, f"{where}: expected an object, got {type(objective).__name__}"]
    metric, value = objective.get("MetricName"), objective.get("Value")
    if not isinstance(metric, str) or not 1 <= len(metric) <= 255:
        problems.append(f"{where}.MetricName={metric!r}: expected the metric name")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        problems.append(f"{where}.Value={value!r}: expected a number")
    return problems


def _settings_problems(settings: dict[str, Any]) -> list[str]:
    problems = []
    group = settings["model_package_group"]
    if not isinstance(group, str) or not NAME.match(group):
        problems.append(f"register.model_package_group={group!r}: not a model package group name")
    objective = settings["objective"]
    if not isinstance(objective, dict) or objective.get("type") not in OBJECTIVE_TYPES:
        problems.append(f"register.objective={objective!r}: expected {{'type': Maximize|Minimize, ...}}"[:300])
    image = settings["inference_image"]
    if not isinstance(image, str) or not 1 <= len(image) <= 255:
        problems.append(f"register.inference_image={image!r}: expected an image URI")
    for key in ("content_types", "response_types"):
        value = settings[key]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            problems.append(f"register.{key}={value!r}: expected a non-empty list of MIME types"[:300])
    spec_name = settings.get("spec_name")
    if spec_name is not None and not (isinstance(spec_name, str) and spec_name):
        problems.append(f"register.spec_name={spec_name!r}: expected the tuning spec name")
    return problems


def registry_session(role_arn: str) -> boto3.Session:
    """A session acting as the pipeline-step role (the role the registry trusts)."""
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="tuning-register")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def publish_artifact(source_uri: str, *, s3: S3Client, registry_s3: S3Client, bucket: str, key: str) -> str:
    """Stream `source_uri` into the registry's artifacts bucket (multipart, bounded memory); its new URI.

    Idempotent: a retry writes the same object to the same key.
    """
    match = re.match(r"^s3://([^/]+)/(.+)$", source_uri)
    if match is None:
        raise InvalidEventError(f"the best training job's artifact {source_uri!r} is not an S3 URI")
    body = s3.get_object(Bucket=match.group(1), Key=match.group(2))["Body"]
    # The bucket's default encryption (the registry's key) applies; the pipeline-step role may use that key.
    registry_s3.upload_fileobj(body, bucket, key)
    return f"s3://{bucket}/{key}"


def register_best_model(
    tuning: dict[str, Any],
    settings: dict[str, Any],
    *,
    sagemaker: SageMakerClient,
    registry_sagemaker: SageMakerClient,
    s3: S3Client,
    registry_s3: S3Client,
    output_bucket: str,
    kms_key_arn: str,
    registry_account: str,
    artifacts_bucket: str,
) -> dict[str, Any]:
    tuning_job = tuning["HyperParameterTuningJobName"]
    best = _best_training_job(tuning)
    training = sagemaker.describe_training_job(TrainingJobName=best["TrainingJobName"])
    objective = best["FinalHyperParameterTuningJobObjectiveMetric"]
    value = float(objective["Value"])
    statistics = _statistics(tuning_job, best, settings["objective"]["type"], value)
    group = settings["model_package_group"]
    model_data = (training.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    if not isinstance(model_data, str):
        raise NoModelArtifactsError(f"training job {best['TrainingJobName']} has no ModelArtifacts.S3ModelArtifacts")
    if artifacts_bucket:
        model_data, metrics_uri = _publish_to_registry(
            model_data,
            statistics,
            s3=s3,
            registry_s3=registry_s3,
            bucket=artifacts_bucket,
            prefix=f"{group}/{tuning_job}",
        )
    else:
        metrics_uri = _put_metrics(
            s3, statistics, output_bucket, f"tuning/{tuning_job}/best-model-metrics.json", kms_key_arn
        )
    group_ref = group_reference(group, registry_account, tuning.get("HyperParameterTuningJobArn", ""))
    arn = registry_sagemaker.create_model_package(
        ModelPackageGroupName=group_ref,
        ModelPackageDescription=f"best of tuning job {tuning_job}: {objective['MetricName']} = {value:g}",
        ModelApprovalStatus=APPROVAL_STATUS,
        ClientToken=client_token(tuning.get("HyperParameterTuningJobArn") or tuning_job),
        InferenceSpecification={
            "Containers": [{"Image": settings["inference_image"], "ModelDataUrl": model_data}],
            "SupportedContentTypes": list(settings["content_types"]),
            "SupportedResponseMIMETypes": list(settings["response_types"]),
        },
        ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": metrics_uri}}},
        CustomerMetadataProperties=_package_metadata(statistics, settings),
    )["ModelPackageArn"]
    return {
        "model_package_arn": arn,
        "model_package_group": group,
        "objective": {"metric": objective["MetricName"], "value": value},
        "training_job": best["TrainingJobName"],
        "model_data_url": model_data,
    }


def _statistics(tuning_job: str, best: dict[str, Any], objective_type: str, value: float) -> dict[str, Any]:
    """The registered version's ModelQuality statistics: the objective, the jobs, the tuned hyperparameters."""
    return {
        "objective_metric": {
            "name": best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"],
            "type": objective_type,
            "value": value,
        },
        "tuning_job": tuning_job,
        "training_job": best["TrainingJobName"],
        "hyperparameters": best.get("TunedHyperParameters", {}),
    }


def _best_training_job(tuning: dict[str, Any]) -> dict[str, Any]:
    """The tuning job's best training job; NoBestTrainingJobError when no job reported the objective metric."""
    best = tuning.get("BestTrainingJob")
    if not best or best.get("FinalHyperParameterTuningJobObjectiveMetric") is None:
        raise NoBestTrainingJobError(
            f"tuning job {tuning['HyperParameterTuningJobName']} ({tuning.get('HyperParameterTuningJobStatus')}) "
            "has no best training job: no training job reported the objective metric"
        )
    return dict(best)


def _metrics_body(statistics: dict[str, Any]) -> bytes:
    return json.dumps(statistics, sort_keys=True, indent=2).encode()


def _publish_to_registry(
    model_data: str, statistics: dict[str, Any], *, s3: S3Client, registry_s3: S3Client, bucket: str, prefix: str
) -> tuple[str, str]:
    """Copy the model and write the metrics under `prefix` of the registry's artifacts bucket; their URIs."""
    model_data = publish_artifact(
        model_data, s3=s3, registry_s3=registry_s3, bucket=bucket, key=f"{prefix}/model.tar.gz"
    )
    registry_s3.put_object(
        Bucket=bucket, Key=f"{prefix}/metrics.json", Body=_metrics_body(statistics), ContentType="application/json"
    )
    return model_data, f"s3://{bucket}/{prefix}/metrics.json"


def _put_metrics(s3: S3Client, statistics: dict[str, Any], bucket: str, key: str, kms_key_arn: str) -> str:
    """Write the metrics next to the tuning outputs (no registry bucket: the model stays where it is); their URI."""
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=_metrics_body(statistics),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key_arn,
    )
    return f"s3://{bucket}/{key}"


def _package_metadata(statistics: dict[str, Any], settings: dict[str, Any]) -> dict[str, str]:
    """The package's CustomerMetadataProperties: the objective, the jobs, the spec's name."""
    objective = statistics["objective_metric"]
    return {
        "objective_metric": objective["name"],
        "objective_type": objective["type"],
        "objective_value": f"{objective['value']:g}",
        "tuning_job": statistics["tuning_job"],
        "training_job": statistics["training_job"],
        # Metadata values must not be empty: a spec given at run time has no name.
        **({"tuning_spec": settings["spec_name"]} if settings.get("spec_name") else {}),
    }


def group_reference(group: str, registry_account: str, tuning_job_arn: str) -> str:
    """The group's name in the same account; its ARN in the registry account (cross-account needs the ARN)."""
    if not registry_account:
        return group
    parts = tuning_job_arn.split(":")
    if len(parts) < 6:
        raise InvalidEventError(f"cannot derive partition and region from tuning job ARN {tuning_job_arn!r}")
    return f"arn:{parts[1]}:sagemaker:{parts[3]}:{registry_account}:model-package-group/{group}"


def client_token(tuning_job_arn: str) -> str:
    """CreateModelPackage's idempotency token (at most 36 characters of [a-zA-Z0-9-])."""
    return hashlib.sha256(tuning_job_arn.encode()).hexdigest()[:36]
