"""`TrainingJobLauncher`: an SQS queue whose messages become SageMaker training jobs, paced under the
CreateTrainingJob quota, with warm pools, managed spot capacity and distributed training settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform import tuning_spec
from sagemaker_platform.constructs.common import dead_letter_queue
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.lifecycle.training import (
    MAX_TRAINING_SECONDS,
    Distribution,
    distribution_hyperparameters,
    scaling_problems,
)
from sagemaker_platform.constructs.tuning.grants import grant_launch
from sagemaker_platform.constructs.tuning.storage import TuningStorage
from sagemaker_platform.contracts.tuning_spec import PlatformImage
from sagemaker_platform.errors import ProblemCollector

MAX_KEEP_ALIVE = cdk.Duration.hours(1)


@dataclass(frozen=True)
class _LauncherScaling:
    """The launched jobs' resources, run limits, spot and distribution settings: validated at construction,
    passed as environment."""

    instance_type: str
    instance_count: int
    volume_size_gb: int
    max_run: cdk.Duration
    keep_alive: cdk.Duration
    use_spot: bool
    max_wait: cdk.Duration | None
    distribution: Distribution | None

    def __post_init__(self) -> None:
        problems = ProblemCollector("TrainingJobLauncher")
        wait = None if self.max_wait is None else int(self.max_wait.to_seconds())
        for problem in scaling_problems(
            instance_type=self.instance_type,
            instance_count=self.instance_count,
            max_run_seconds=int(self.max_run.to_seconds()),
            use_spot=self.use_spot,
            max_wait_seconds=wait,
            distribution=self.distribution,
        ):
            # The construct takes the wait as a Duration prop named max_wait.
            key = "max_wait" if problem.key == "max_wait_seconds" else problem.key
            problems.add(f"{key}={problem.value!r}: {problem.message}")
        # SageMaker keeps no warm pool for managed spot jobs; a keep-alive would only mislead the quota sizing.
        problems.check(
            not (self.use_spot and self.keep_alive.to_seconds() > 0),
            f"keep_alive={self.keep_alive.to_human_string()}: must be zero with use_spot=True "
            "(warm pools do not apply to managed spot training)",
        )
        problems.raise_if_any()

    def environment(self) -> dict[str, str]:
        """The launcher's environment variables for the instances, run and wait limits, spot and distribution."""
        env: dict[str, str] = {
            "INSTANCE_TYPE": self.instance_type,
            "INSTANCE_COUNT": str(self.instance_count),
            "VOLUME_SIZE_GB": str(self.volume_size_gb),
            "MAX_RUN_SECONDS": str(int(self.max_run.to_seconds())),
            "KEEP_ALIVE_SECONDS": str(int(self.keep_alive.to_seconds())),
        }
        if self.use_spot:
            run = int(self.max_run.to_seconds())
            wait = min(2 * run, MAX_TRAINING_SECONDS) if self.max_wait is None else int(self.max_wait.to_seconds())
            env |= {"USE_SPOT": "true", "MAX_WAIT_SECONDS": str(wait)}
        if self.distribution is not None:
            rendered = distribution_hyperparameters(self.distribution, self.instance_type)
            env["DISTRIBUTION_HYPERPARAMETERS"] = json.dumps(rendered, sort_keys=True)
        return env


class TrainingJobLauncher(Construct):
    """An SQS queue whose messages become SageMaker training jobs, paced under the CreateTrainingJob quota.

    Send ``{"job_id": "...", "hyperparameters": {...}, "channels": {"train": "<prefix in the data bucket>"}}``.
    The same job_id never starts a second job. Every job asks for a warm pool (`keep_alive`), so
    consecutive jobs with the same resource config start on retained instances; raise the service quota
    "ml.<type> for training warm pool usage" to at least `max_concurrency` times instance_count.

    :param storage: key, buckets and training role.
    :param image: ECR image URI, a built-in such as ``sagemaker-xgboost:1.7-1`` (resolved per region), or a
        `PlatformImage` of the storage's `platform_images`.
    :param instance_type: Default: ml.m5.large.
    :param instance_count: Default: 1.
    :param volume_size_gb: Default: 30.
    :param max_run: per job. Default: 1 hour.
    :param keep_alive: warm pool retention after each job, at most 1 hour. Default: 30 minutes.
    :param requests_per_second: CreateTrainingJob calls per second, all invocations together. Default: 1.
    :param max_concurrency: concurrent Lambda invocations reading the queue (2 to 10). Default: 2.
    :param job_name_prefix: training job names are ``<prefix>-<20 hex of sha256(job_id)>``. Default: "launch".
    :param use_spot: managed spot capacity; each job checkpoints to ``checkpoints/<job name>/`` in the output
        bucket (KMS) and resumes there after an interruption. Warm pools do not apply to spot jobs, so
        `keep_alive` must be zero. Default: False.
    :param max_wait: spot only: the wait for capacity, run included (>= `max_run`). Default: twice `max_run`.
    :param distribution: ``torchrun``, ``pytorchddp`` or ``smdistributed`` on a GPU type (torchrun also Trainium),
        EFA-capable when `instance_count` > 1 (see `sagemaker_platform.constructs.lifecycle.training`). Default: None.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        storage: TuningStorage,
        image: str | PlatformImage,
        instance_type: str = "ml.m5.large",
        instance_count: int = 1,
        volume_size_gb: int = 30,
        max_run: cdk.Duration | None = None,
        keep_alive: cdk.Duration | None = None,
        requests_per_second: float = 1.0,
        max_concurrency: int = 2,
        job_name_prefix: str = "launch",
        use_spot: bool = False,
        max_wait: cdk.Duration | None = None,
        distribution: Distribution | None = None,
    ) -> None:
        super().__init__(scope, id)
        max_run = max_run if max_run is not None else cdk.Duration.hours(1)
        keep_alive = keep_alive if keep_alive is not None else cdk.Duration.minutes(30)
        self._validate(image, instance_type, keep_alive, requests_per_second, max_concurrency, job_name_prefix)
        scaling = _LauncherScaling(
            instance_type, instance_count, volume_size_gb, max_run, keep_alive, use_spot, max_wait, distribution
        )
        self.storage = storage
        storage.grant_image_pull(image)
        function_timeout = cdk.Duration.minutes(5)
        self.dead_letter_queue, self.queue = self._queues(function_timeout)
        self.function = PlatformFunction(
            self,
            "Function",
            handler_name="tuning_launcher",
            key=storage.key,
            description="Launches SageMaker training jobs from the queue, paced, with warm pools",
            timeout=function_timeout,
            reserved_concurrency=max_concurrency,
            environment={
                "JOB_NAME_PREFIX": job_name_prefix,
                "TRAINING_IMAGE": storage.image_uri(image),
                **storage.training_environment(),
                **scaling.environment(),
                # Each of max_concurrency invocations spaces its calls so that all together stay under the rate.
                "LAUNCH_INTERVAL_SECONDS": f"{max_concurrency / requests_per_second:g}",
            },
        )
        self.function.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue, batch_size=10, report_batch_item_failures=True, max_concurrency=max_concurrency
            )
        )
        grant_launch(self, self.function.role, storage, job_name_prefix)

    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` queue launch requests (and use the key that encrypts them)."""
        return self.queue.grant_send_messages(grantee)

    def metric_queue_depth(self, **props: Any) -> cloudwatch.Metric:
        """Launch requests waiting (ApproximateNumberOfMessagesVisible, maximum over 5 minutes)."""
        return self.queue.metric_approximate_number_of_messages_visible(statistic="Maximum", **props)

    def _queues(self, function_timeout: cdk.Duration) -> tuple[sqs.Queue, sqs.Queue]:
        """The dead-letter queue, then the launch queue that hands it jobs failed five times."""
        dead_letters = dead_letter_queue(
            self,
            "QueueDeadLetters",
            self.storage.key,
            of="the launcher queue (jobs that failed five times)",
            cdk_nag=False,
        )
        queue = self._queue(
            "Queue",
            # Six times the function timeout, as Lambda recommends for SQS event sources.
            visibility_timeout=cdk.Duration.seconds(function_timeout.to_seconds() * 6),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=5),
        )
        return dead_letters, queue

    def _queue(self, id: str, **props: Any) -> sqs.Queue:
        return sqs.Queue(
            self,
            id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.storage.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            **props,
        )

    def _validate(
        self,
        image: str | PlatformImage,
        instance_type: str,
        keep_alive: cdk.Duration,
        requests_per_second: float,
        max_concurrency: int,
        job_name_prefix: str,
    ) -> None:
        problems = ProblemCollector("TrainingJobLauncher")
        image_problem = None if isinstance(image, PlatformImage) else tuning_spec.image_problem(image)
        problems.check(image_problem is None, f"image={image!r}: {image_problem}")
        problems.check(
            tuning_spec.INSTANCE_TYPE_PATTERN.match(instance_type) is not None,
            f"instance_type={instance_type!r}: must be a SageMaker training instance type such as ml.m5.large",
        )
        if not cdk.Token.is_unresolved(keep_alive.to_seconds()):
            problems.check(
                0 <= keep_alive.to_seconds() <= MAX_KEEP_ALIVE.to_seconds(),
                f"keep_alive={keep_alive.to_human_string()}: warm pools are kept at most 1 hour (3600 s)",
            )
        problems.check(0 < requests_per_second <= 1, f"requests_per_second={requests_per_second}: must be in (0, 1]")
        problems.check(2 <= max_concurrency <= 10, f"max_concurrency={max_concurrency}: must be between 2 and 10")
        problems.check(
            tuning_spec.SPEC_NAME_PATTERN.match(job_name_prefix) is not None,
            f"job_name_prefix={job_name_prefix!r}: letters, digits and inner hyphens, at most 19 characters",
        )
        problems.raise_if_any()
