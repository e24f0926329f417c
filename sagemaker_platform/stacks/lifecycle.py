"""`LifecycleStack` (each workload account with lifecycle pipelines; one in the sandbox).

The build and batch inference pipelines of `lifecycle` for one account role: the bucket and key, the registry
lookup function, the pipelines (running as the account's `<name>-pipeline-step` role, their jobs as
`<name>-sagemaker-execution`, both from the workload-access stack) and a notification topic.
"""

from __future__ import annotations

from typing import Any, TypedDict

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import (
    LifecycleBatchConfig,
    LifecycleBuildConfig,
    LifecycleJobConfig,
    LifecycleModelQualityConfig,
    LifecycleMonitorConfig,
    PlatformConfig,
)
from sagemaker_platform.config.checks import build_model_quality, monitor_baseline_build, monitor_model_quality_build
from sagemaker_platform.constructs.ci_pipeline_access import CiPipelineAccess
from sagemaker_platform.constructs.common import let_services_use_key, notification_topic
from sagemaker_platform.constructs.lifecycle import (
    BatchInferencePipeline,
    JobResources,
    LifecycleStorage,
    ModelBuildPipeline,
    ModelFormat,
    ModelQualityBaseline,
    Objective,
    PipelinePermissions,
    RegistryLookup,
    TrainingSettings,
)
from sagemaker_platform.constructs.lifecycle.model_quality import ModelQualityMonitor
from sagemaker_platform.constructs.lifecycle.monitoring import DataQualityMonitor, MonitorProps
from sagemaker_platform.constructs.lifecycle.settings import DEFAULT_PROCESSING_IMAGE, DEFAULT_TRAINING_IMAGE
from sagemaker_platform.stacks.access_logs import AccessLogsStack, shared_access_logs
from sagemaker_platform.stacks.base import AccountRole, RegistryHome, tag_platform
from sagemaker_platform.stacks.ci import ci_role_names
from sagemaker_platform.stacks.network import place_functions

CAPABILITY = "lifecycle"


class SharedPipelineProps(TypedDict):
    """The props every lifecycle pipeline of one account takes alike."""

    storage: LifecycleStorage
    pipeline_role: iam.IRole
    job_role: iam.IRole
    lookup_function_arn: str
    topic: sns.ITopic


def lifecycle_accounts(config: PlatformConfig) -> list[AccountRole]:
    """The account roles holding lifecycle pipelines (the sandbox: one stack, built as dev)."""
    if config.lifecycle is None:
        return []
    pipelines: list[LifecycleBuildConfig | LifecycleBatchConfig] = [*config.lifecycle.build, *config.lifecycle.batch]
    accounts: set[AccountRole] = {entry.account for entry in pipelines}
    accounts |= {monitor.stage for monitor in config.lifecycle.monitoring}
    if not accounts:
        return []
    if config.is_sandbox:
        return ["dev"]
    return sorted(accounts)


class LifecycleStack(cdk.Stack):
    """The lifecycle pipelines of one account role (all of them in the sandbox)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PlatformConfig,
        account: AccountRole,
        access_logs: AccessLogsStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, id, description=f"{config.name}: model lifecycle pipelines (build, batch inference)", **kwargs
        )
        if config.lifecycle is None or config.registry is None:
            raise ValueError("the lifecycle stack needs `lifecycle` and `registry` in the platform config")
        tag_platform(self, config, CAPABILITY)
        place_functions(self, config, account, CAPABILITY)
        lifecycle = config.lifecycle
        builds = [b for b in lifecycle.build if config.is_sandbox or b.account == account]
        batches = [b for b in lifecycle.batch if config.is_sandbox or b.account == account]
        self._registry = RegistryHome.of(config)
        removal = cdk.RemovalPolicy.RETAIN if lifecycle.removal_policy == "retain" else cdk.RemovalPolicy.DESTROY
        self.storage = LifecycleStorage(
            self,
            "Storage",
            removal_policy=removal,
            access_logs=shared_access_logs(self, access_logs),
        )
        step_role = iam.Role.from_role_name(
            self, "PipelineStepRole", naming.pipeline_step_role_name(config.name), mutable=True
        )
        job_role = iam.Role.from_role_name(
            self, "ExecutionRole", naming.sagemaker_execution_role_name(config.name), mutable=True
        )
        self.lookup = self._lookup(config, [*builds, *batches])
        self.permissions = PipelinePermissions(
            self,
            "Permissions",
            pipeline_role=step_role,
            job_role=job_role,
            storage=self.storage,
            function_arns=[self.lookup.function_arn],
            tuning=any(entry.tuning is not None for entry in builds),
        )
        self.topic = self._notifications(config)
        self._shared = SharedPipelineProps(
            storage=self.storage,
            pipeline_role=step_role,
            job_role=job_role,
            lookup_function_arn=self.lookup.function_arn,
            topic=self.topic,
        )
        self.build_pipelines = {entry.name: self._build_pipeline(config, entry) for entry in builds}
        self.batch_pipelines = {entry.name: self._batch_pipeline(entry) for entry in batches}
        self._add_monitors(
            config, [m for m in lifecycle.monitoring if config.is_sandbox or m.stage == account], job_role
        )
        self.ci_access = self._ci_access(config)

    def _lookup(
        self, config: PlatformConfig, entries: list[LifecycleBuildConfig | LifecycleBatchConfig]
    ) -> RegistryLookup:
        """The function that finds each pipeline's model package versions, allowed on the groups they use."""
        return RegistryLookup(
            self,
            "Lookup",
            platform_name=config.name,
            key=self.storage.key,
            model_package_group_arns=[
                self._registry.model_package_group_arn(group)
                for group in sorted({e.model_package_group for e in entries})
            ],
        )

    def _notifications(self, config: PlatformConfig) -> sns.Topic:
        """The topic of gate outcomes, failed runs and violations, mailed to the deploy notification addresses."""
        emails = config.deploy.notification_emails if config.deploy is not None else ()
        topic = notification_topic(self, "Lifecycle pipelines", self.storage.key, emails)
        # EventBridge rules and CloudWatch alarms publish to the encrypted topic.
        let_services_use_key(self.storage.key, ["events.amazonaws.com", "cloudwatch.amazonaws.com"])
        return topic

    def _add_monitors(
        self, config: PlatformConfig, monitors: list[LifecycleMonitorConfig], job_role: iam.IRole
    ) -> None:
        """The data quality monitor of each monitored endpoint of this account, and its model quality monitor."""
        self.monitors = {(m.endpoint, m.stage): self._monitor(config, m, job_role) for m in monitors}
        self.model_quality_monitors = {
            (m.endpoint, m.stage): self._model_quality_monitor(config, m, m.model_quality, job_role)
            for m in monitors
            if m.model_quality is not None
        }

    def _ci_access(self, config: PlatformConfig) -> CiPipelineAccess | None:
        """With `ci`: the role the CI roles (tooling) assume to upload build code and start the build pipelines."""
        if config.ci is None or not self.build_pipelines:
            return None
        tooling = self.account if config.accounts is None else config.accounts.tooling
        access = CiPipelineAccess(
            self,
            "CiAccess",
            role_name=naming.ci_pipeline_role_name(config.name),
            trusted_role_arns=[naming.role_arn(self.partition, tooling, name) for name in ci_role_names(config)],
            bucket=self.storage.bucket,
            key=self.storage.key,
            organization_id=config.organization_id,
        )
        for pipeline in self.build_pipelines.values():
            access.add_build_pipeline(pipeline.pipeline_arn, pipeline.code_prefix)
        return access

    def _monitor(
        self, config: PlatformConfig, monitor: LifecycleMonitorConfig, job_role: iam.IRole
    ) -> DataQualityMonitor:
        build = monitor_baseline_build(config, monitor)
        return DataQualityMonitor(
            self,
            f"Monitor{_pascal(monitor.endpoint)}{_pascal(monitor.stage)}",
            **self._monitor_props(
                config, monitor, job_role, baseline_uri=None if build is None else self._baseline_uri(config, build)
            ),
        )

    def _model_quality_monitor(
        self,
        config: PlatformConfig,
        monitor: LifecycleMonitorConfig,
        quality: LifecycleModelQualityConfig,
        job_role: iam.IRole,
    ) -> ModelQualityMonitor:
        build = monitor_model_quality_build(config, monitor)
        return ModelQualityMonitor(
            self,
            f"ModelQuality{_pascal(monitor.endpoint)}{_pascal(monitor.stage)}",
            **self._monitor_props(
                config,
                monitor,
                job_role,
                baseline_uri=None if build is None else self._baseline_uri(config, build, "model-quality"),
            ),
            ground_truth_uri=self.storage.s3_uri(quality.ground_truth_prefix.rstrip("/")),
            problem_type=quality.problem_type,
            inference_attribute=quality.inference_attribute,
            probability_attribute=quality.probability_attribute,
            probability_threshold=quality.probability_threshold,
        )

    def _monitor_props(
        self, config: PlatformConfig, monitor: LifecycleMonitorConfig, job_role: iam.IRole, *, baseline_uri: str | None
    ) -> MonitorProps:
        retrain = None
        if monitor.retrain_pipeline_name is not None:
            retrain = self.build_pipelines[monitor.retrain_pipeline_name].pipeline_arn
        return MonitorProps(
            endpoint_name=naming.endpoint_name(config.name, monitor.endpoint, monitor.stage),
            capture_bucket_name=naming.hosting_bucket_name(config.name, monitor.stage, self.account, self.region),
            capture_key_alias=naming.hosting_key_alias(config.name, monitor.stage),
            storage=self.storage,
            job_role=job_role,
            topic=self.topic,
            schedule_expression=monitor.schedule_expression,
            instance_type=monitor.instance_type,
            max_run_seconds=monitor.max_run_seconds,
            baseline_uri=baseline_uri,
            retrain_pipeline_arn=retrain,
        )

    def _baseline_uri(self, config: PlatformConfig, build: LifecycleBuildConfig, kind: str = "data-quality") -> str:
        """Where `build` writes the baseline (`kind`: data-quality, model-quality) of each version it registers."""
        return self._artifacts_uri(config, build.model_package_group, "baselines", build.name, kind)

    def _model_quality_baseline(
        self, config: PlatformConfig, entry: LifecycleBuildConfig
    ) -> ModelQualityBaseline | None:
        """What `entry` computes for the model quality monitors of its group (none when none reads it)."""
        quality = build_model_quality(config, entry) if entry.model_quality_baseline else None
        if quality is None:
            return None
        return ModelQualityBaseline(
            output_uri=self._baseline_uri(config, entry, "model-quality"),
            problem_type=quality.problem_type,
            probability_threshold=quality.probability_threshold,
        )

    def _artifacts_uri(self, config: PlatformConfig, group: str, *parts: str) -> str:
        """Under the group's prefix of the registry's artifacts bucket: every stage's execution role reads it."""
        artifacts = self._registry.artifacts_bucket_name(config.name)
        return "/".join([f"s3://{artifacts}", group, *parts])

    def _build_pipeline(self, config: PlatformConfig, entry: LifecycleBuildConfig) -> ModelBuildPipeline:
        return ModelBuildPipeline(
            self,
            f"Build{_pascal(entry.name)}",
            pipeline_name=entry.name,
            model_package_group_arn=self._registry.model_package_group_arn(entry.model_package_group),
            **self._shared,
            objective=Objective(
                metric=entry.objective.metric, json_path=entry.objective.json_path, type=entry.objective.type
            ),
            # In the registry's artifacts bucket, under the group's prefix: every stage deploys from there.
            model_output_uri=self._artifacts_uri(config, entry.model_package_group, "pipelines", entry.name),
            # A tuning spec defines its own training jobs.
            training=None
            if entry.tuning is not None
            else TrainingSettings(
                resources=_resources(entry.training, DEFAULT_TRAINING_IMAGE),
                hyperparameters=dict(entry.hyperparameters),
                use_spot=entry.training.use_spot,
                max_wait_seconds=entry.training.max_wait_seconds,
                distribution=entry.training.distribution,
            ),
            processing=_resources(entry.processing, DEFAULT_PROCESSING_IMAGE),
            model_format=ModelFormat(
                content_types=tuple(entry.content_types), response_types=tuple(entry.response_types)
            ),
            tuning=None if entry.tuning is None else next(s for s in config.tuning if s.name == entry.tuning),
            baseline_uri=self._baseline_uri(config, entry) if entry.baseline else None,
            model_quality_baseline=self._model_quality_baseline(config, entry),
        )

    def _batch_pipeline(self, entry: LifecycleBatchConfig) -> BatchInferencePipeline:
        return BatchInferencePipeline(
            self,
            f"Batch{_pascal(entry.name)}",
            pipeline_name=entry.name,
            model_package_group_arn=self._registry.model_package_group_arn(entry.model_package_group),
            **self._shared,
            input_prefix=entry.input_prefix,
            output_prefix=entry.output_prefix,
            instance_type=entry.instance_type,
            instance_count=entry.instance_count,
            content_type=entry.content_type,
            accept=entry.accept,
            split_type=entry.split_type,
        )


def _resources(job: LifecycleJobConfig, default_image: str) -> JobResources:
    return JobResources(
        image=default_image if job.image is None else job.image,
        instance_type=job.instance_type,
        instance_count=job.instance_count,
        volume_size_gb=job.volume_size_gb,
        max_run_seconds=job.max_run_seconds,
    )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
