"""`TuningStack` (dev account): tuning pipelines for the config's `tuning` specs, and the job launcher."""

from __future__ import annotations

import aws_cdk as cdk

from sagemaker_platform import naming
from sagemaker_platform.config import PlatformConfig, PlatformImageConfig, TuningLauncherConfig
from sagemaker_platform.constructs.tuning import TrainingJobLauncher, TuningPipeline, TuningStorage
from sagemaker_platform.contracts.tuning_spec import PlatformImage
from sagemaker_platform.stacks.access_logs import shared_access_logs
from sagemaker_platform.stacks.base import CapabilityStack, RegistryHome
from sagemaker_platform.stacks.ci import tuning_image_registry
from sagemaker_platform.stacks.network import place_functions
from sagemaker_platform.stacks.studio_personas import PersonaTuningAccess, persona_role_names, studio_personas_in_use

CAPABILITY = "tuning"


def launcher_image(launcher: TuningLauncherConfig) -> str | PlatformImage:
    image = launcher.image
    return PlatformImage(image.platform_repository, image.tag) if isinstance(image, PlatformImageConfig) else image


class TuningStack(CapabilityStack):
    """Warm-pool tuning in the dev account: shared storage, one pipeline for every spec, an optional launcher.

    Best models are registered in the registry account's model package groups (this account in the sandbox).
    """

    capability = CAPABILITY

    def _description(self, config: PlatformConfig) -> str:
        return "Warm-pool tuning: tuning pipelines and the training job launcher"

    def _build(self, config: PlatformConfig) -> None:
        place_functions(self, config, "dev", CAPABILITY)
        images = tuning_image_registry(config)
        # Named only when another account's repository policies name it: an existing unnamed role stays as is.
        self.storage = TuningStorage(
            self,
            "Storage",
            training_role_name=None if images is None else naming.tuning_training_role_name(config.name),
            platform_images=images,
            access_logs=shared_access_logs(self, self.access_logs),
        )
        registry = RegistryHome.of(config)
        self.pipeline = TuningPipeline(
            self,
            "Pipeline",
            storage=self.storage,
            platform_name=config.name,
            specs=config.tuning,
            registry_account=registry.named_account,
            model_artifacts_bucket=registry.artifacts_bucket_name(config.name),
        )
        self.launcher = self._launcher(config)
        if config.studio is not None:
            # The Studio personas start and watch the pipeline and launcher, with the team's data.
            self.persona_access: PersonaTuningAccess | None = PersonaTuningAccess(
                self,
                "StudioPersonas",
                role_names=[persona_role_names(config)[p] for p in studio_personas_in_use(config)],
                storage=self.storage,
                pipeline=self.pipeline,
                launcher=self.launcher,
            )
        cdk.CfnOutput(self, "StateMachineArn", value=self.pipeline.state_machine.state_machine_arn)
        cdk.CfnOutput(self, "DataBucketName", value=self.storage.data_bucket.bucket_name)
        cdk.CfnOutput(self, "NotificationTopicArn", value=self.pipeline.topic.topic_arn)
        if self.launcher is not None:
            cdk.CfnOutput(self, "LauncherQueueUrl", value=self.launcher.queue.queue_url)

    def _launcher(self, config: PlatformConfig) -> TrainingJobLauncher | None:
        """The training job launcher, when the config has a `tuning_launcher` section."""
        launcher = config.tuning_launcher
        if launcher is None:
            return None
        return TrainingJobLauncher(
            self,
            "Launcher",
            storage=self.storage,
            image=launcher_image(launcher),
            instance_type=launcher.instance_type,
            instance_count=launcher.instance_count,
            volume_size_gb=launcher.volume_size_gb,
            max_run=cdk.Duration.seconds(launcher.max_run_seconds),
            keep_alive=cdk.Duration.seconds(launcher.keep_alive_seconds),
            requests_per_second=launcher.requests_per_second,
            max_concurrency=launcher.max_concurrency,
            use_spot=launcher.use_spot,
            max_wait=None if launcher.max_wait_seconds is None else cdk.Duration.seconds(launcher.max_wait_seconds),
            distribution=launcher.distribution,
        )
