"""Launches SageMaker training jobs from an SQS queue, paced under the CreateTrainingJob rate quota.

Message body::

    {"job_id": "customer-42-2026-11-23",            # the idempotency key (1-256 characters)
     "hyperparameters": {"eta": "0.2"},              # optional, string values
     "channels": {"train": "customers/42/train/"}}   # prefixes inside the tuning data bucket

- No job started twice: the training job name derives from `job_id` alone, so a redelivered or
  duplicated message makes the same CreateTrainingJob call and SageMaker answers ResourceInUse,
  which counts as already started.
- No job lost: a message is deleted only after its job exists. Throttled (after backoff), invalid
  or failed messages are reported as batch item failures and come back after the visibility
  timeout; after the queue's maxReceiveCount they land in the dead-letter queue.
- Pacing: calls are spaced by LAUNCH_INTERVAL_SECONDS (the event source mapping's maximum
  concurrency divided by the allowed request rate), with exponential backoff and full jitter on
  ThrottlingException.
- Warm pools: every job asks for KeepAlivePeriodInSeconds, so consecutive jobs with the same
  resource configuration reuse the retained instances instead of provisioning new ones.
- Spot (USE_SPOT=true): managed spot capacity, waiting at most MAX_WAIT_SECONDS, checkpointing to
  ``s3://<output bucket>/checkpoints/<job name>/`` so an interrupted job resumes (warm pools are off then).
- Distribution: DISTRIBUTION_HYPERPARAMETERS (rendered at synth from the validated setting) are added to
  every job; a message may not set them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from errors import InvalidMessageError, StillThrottledError

from sagemaker_platform.contracts.aws_faults import THROTTLING_CODES
from sagemaker_platform.contracts.training_storage import training_storage

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

ALREADY_STARTED_CODE = "ResourceInUse"
CHANNEL_NAME = re.compile(r"^[A-Za-z0-9.\-_]{1,64}$")
MAX_KEEP_ALIVE_SECONDS = 3600
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"


@dataclass(frozen=True)
class Template:
    """What every launched job shares: the resource config must match for warm-pool reuse."""

    name_prefix: str
    image: str
    role_arn: str
    data_bucket: str
    output_bucket: str
    kms_key_arn: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    max_run_seconds: int
    keep_alive_seconds: int
    use_spot: bool = False
    max_wait_seconds: int | None = None
    distribution_hyperparameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, env: Any) -> Template:
        keep_alive = int(env["KEEP_ALIVE_SECONDS"])
        if not 0 <= keep_alive <= MAX_KEEP_ALIVE_SECONDS:
            raise ValueError(f"KEEP_ALIVE_SECONDS={keep_alive}: must be between 0 and {MAX_KEEP_ALIVE_SECONDS}")
        max_run = int(env["MAX_RUN_SECONDS"])
        use_spot = env.get("USE_SPOT", "false") == "true"
        max_wait = int(env["MAX_WAIT_SECONDS"]) if use_spot else None
        if max_wait is not None and max_wait < max_run:
            raise ValueError(f"MAX_WAIT_SECONDS={max_wait}: must be >= MAX_RUN_SECONDS ({max_run})")
        distribution = json.loads(env.get("DISTRIBUTION_HYPERPARAMETERS", "{}"))
        return cls(
            name_prefix=env["JOB_NAME_PREFIX"],
            image=env["TRAINING_IMAGE"],
            **training_storage(env),
            instance_type=env["INSTANCE_TYPE"],
            instance_count=int(env["INSTANCE_COUNT"]),
            volume_size_gb=int(env["VOLUME_SIZE_GB"]),
            max_run_seconds=max_run,
            keep_alive_seconds=keep_alive,
            use_spot=use_spot,
            max_wait_seconds=max_wait,
            distribution_hyperparameters=distribution,
        )


@dataclass(frozen=True)
class LaunchRequest:
    job_id: str
    hyperparameters: dict[str, str]
    channels: dict[str, str]


def training_job_name(prefix: str, job_id: str) -> str:
    """Deterministic name: the same job_id always gives the same name (at most 63 characters)."""
    return f"{prefix}-{hashlib.sha256(job_id.encode()).hexdigest()[:20]}"


def parse_message(body: object) -> LaunchRequest:
    if not isinstance(body, str):
        raise InvalidMessageError(f"body: the message body must be a JSON string, got {type(body).__name__}")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidMessageError(f"the message body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidMessageError(f"the message body must be an object, got {type(data).__name__}")
    unknown = sorted(set(data) - {"job_id", "hyperparameters", "channels"})
    if unknown:
        raise InvalidMessageError(f"unknown key(s) {unknown}; allowed: job_id, hyperparameters, channels")
    job_id = data.get("job_id")
    if not isinstance(job_id, str) or not 1 <= len(job_id) <= 256:
        raise InvalidMessageError(f"job_id must be a string of 1 to 256 characters, got {job_id!r}")
    hyperparameters = data.get("hyperparameters", {})
    if not isinstance(hyperparameters, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in hyperparameters.items()
    ):
        raise InvalidMessageError("hyperparameters must map names to string values")
    channels = data.get("channels")
    if not isinstance(channels, dict) or not channels:
        raise InvalidMessageError("channels must map at least one channel name to a prefix in the data bucket")
    for name, prefix in channels.items():
        if not CHANNEL_NAME.match(name):
            raise InvalidMessageError(f"channel name {name!r}: letters, digits, '.', '-', '_' (at most 64)")
        if not isinstance(prefix, str) or not prefix or prefix.startswith(("/", "s3://")) or ".." in prefix:
            raise InvalidMessageError(f"channel {name!r}: {prefix!r} must be a key prefix inside the data bucket")
    return LaunchRequest(job_id, dict(hyperparameters), dict(channels))


def create_request(template: Template, request: LaunchRequest) -> dict[str, Any]:
    """CreateTrainingJob keyword arguments for one launch request."""
    name = training_job_name(template.name_prefix, request.job_id)
    clashes = sorted(set(request.hyperparameters) & set(template.distribution_hyperparameters))
    if clashes:
        raise InvalidMessageError(
            f"hyperparameters.{clashes[0]}: set by the launcher's distribution setting; remove it from the message"
        )
    stopping: dict[str, Any] = {"MaxRuntimeInSeconds": template.max_run_seconds}
    spot: dict[str, Any] = {}
    if template.use_spot:
        stopping["MaxWaitTimeInSeconds"] = template.max_wait_seconds
        # Keyed by the job name: a redelivered message is the same job and resumes the same checkpoints.
        spot = {
            "EnableManagedSpotTraining": True,
            "CheckpointConfig": {
                "S3Uri": f"s3://{template.output_bucket}/checkpoints/{name}/",
                "LocalPath": CHECKPOINT_LOCAL_PATH,
            },
        }
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": template.image, "TrainingInputMode": "File"},
        "RoleArn": template.role_arn,
        "HyperParameters": {**request.hyperparameters, **template.distribution_hyperparameters},
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{template.data_bucket}/{prefix}",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel, prefix in sorted(request.channels.items())
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{template.output_bucket}/jobs/", "KmsKeyId": template.kms_key_arn},
        "ResourceConfig": {
            "InstanceType": template.instance_type,
            "InstanceCount": template.instance_count,
            "VolumeSizeInGB": template.volume_size_gb,
            "VolumeKmsKeyId": template.kms_key_arn,
            "KeepAlivePeriodInSeconds": template.keep_alive_seconds,
        },
        "StoppingCondition": stopping,
        "EnableInterContainerTrafficEncryption": template.instance_count > 1,
        "Tags": [{"Key": "launcher-job-id", "Value": request.job_id}],
        **spot,
    }


class Launcher:
    """Calls CreateTrainingJob at most once per `interval` seconds, backing off on throttling."""

    def __init__(
        self,
        client: SageMakerClient,
        *,
        interval: float,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._client = client
        self._interval = interval
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._last_call: float | None = None
        self.calls = 0

    def launch(self, request: dict[str, Any]) -> str:
        """Start the job; returns "started" or "already-started". Raises StillThrottledError."""
        for attempt in range(self._max_attempts):
            self._pace()
            try:
                self.calls += 1
                self._client.create_training_job(**request)
                return "started"
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == ALREADY_STARTED_CODE:
                    return "already-started"
                if code not in THROTTLING_CODES:
                    raise
                # Full jitter: spread retries of concurrent launchers instead of synchronizing them.
                self._sleep(self._jitter(0.0, min(self._max_delay, self._base_delay * 2**attempt)))
        raise StillThrottledError(
            f"CreateTrainingJob {request['TrainingJobName']} still throttled after {self._max_attempts} attempts"
        )

    def _pace(self) -> None:
        now = self._clock()
        if self._last_call is not None:
            wait = self._interval - (now - self._last_call)
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
        self._last_call = now


def sqs_records(event: Any) -> list[dict[str, Any]]:
    """The records of an SQS event, each with a message id (SQS names a record's failure by that id).

    A record without one cannot fail alone, so such an event is refused whole before any launch.
    """
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise InvalidMessageError(f"Records: expected the list of an SQS event, got {type(records).__name__}")
    for index, record in enumerate(records):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise InvalidMessageError(f"Records[{index}].messageId: expected the SQS message id, got {message_id!r}")
    return records


def process_batch(records: list[dict[str, Any]], template: Template, launcher: Launcher) -> dict[str, Any]:
    """SQS partial batch response: the message ids whose jobs were not started (they come back)."""
    failures: list[dict[str, str]] = []
    throttled = False
    for record in records:
        message_id = record["messageId"]
        if throttled:
            # CreateTrainingJob is saturated: hand the rest back instead of hammering it.
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            request = create_request(template, parse_message(record.get("body")))
            outcome = launcher.launch(request)
        except StillThrottledError as exc:
            print(json.dumps({"message_id": message_id, "outcome": "throttled", "error": str(exc)}))
            throttled = True
            failures.append({"itemIdentifier": message_id})
            continue
        except (InvalidMessageError, ClientError, BotoCoreError) as exc:
            # This record alone fails (a bad message, or a failed call): it comes back, the others are not held up.
            print(json.dumps({"message_id": message_id, "outcome": "failed", "error": str(exc)}))
            failures.append({"itemIdentifier": message_id})
            continue
        print(json.dumps({"message_id": message_id, "outcome": outcome, "training_job": request["TrainingJobName"]}))
    return {"batchItemFailures": failures}


_launcher: Launcher | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _launcher
    if _launcher is None:  # kept across warm invocations so the pacing holds between batches
        # botocore's own retries off: the launcher paces and backs off itself, and counts every call.
        client = boto3.client("sagemaker", config=Config(retries={"total_max_attempts": 1}))
        _launcher = Launcher(client, interval=float(os.environ["LAUNCH_INTERVAL_SECONDS"]))
    return process_batch(sqs_records(event), Template.from_environment(os.environ), _launcher)
