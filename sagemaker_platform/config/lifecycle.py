"""The `lifecycle` section: build (champion/challenger), batch inference and monitoring pipelines."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, field_problem
from sagemaker_platform.config.deploy import SageMakerPipelineName
from sagemaker_platform.config.endpoints import _endpoint_entry_name
from sagemaker_platform.config.registry import ModelPackageGroupName, WorkloadAccountRole
from sagemaker_platform.config.training import (
    Distribution,
    InstanceCount,
    MaxRunSeconds,
    MaxWaitSeconds,
    VolumeSizeGb,
    raise_scaling_problems,
)

LifecycleInstanceType = Annotated[str, Field(pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")]
S3KeyPrefix = Annotated[str, Field(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$")]
# A MIME type, or where a value sits in a captured record (CSV index or JSON path): SageMaker's 256 characters.
ShortText = Annotated[str, Field(min_length=1, max_length=256)]


class LifecycleObjectiveConfig(StrictModel):
    """The metric the evaluation step writes to ``evaluation.json`` and the champion/challenger gate compares."""

    metric: Annotated[str, Field(min_length=1, max_length=255)]
    json_path: Annotated[str, Field(pattern=r"^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$")]
    """Where the report holds the value, e.g. ``metrics.auc.value``."""
    type: Literal["Maximize", "Minimize"] = "Maximize"


class LifecycleJobConfig(StrictModel):
    """Instances and image of a processing or training step."""

    image: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """An ECR image URI or a SageMaker built-in. Default: sagemaker-xgboost:1.7-1 (training),
    sagemaker-scikit-learn:1.2-1-cpu-py3 (processing)."""
    instance_type: LifecycleInstanceType = "ml.m5.large"
    instance_count: InstanceCount = 1
    volume_size_gb: VolumeSizeGb = 30
    max_run_seconds: MaxRunSeconds = 3600


class LifecycleTrainingConfig(LifecycleJobConfig):
    """The build pipeline's training step: a job config plus spot capacity and distributed training."""

    use_spot: bool = False
    """Managed spot capacity with checkpoints in the lifecycle bucket (KMS), resumed after an interruption."""
    max_wait_seconds: MaxWaitSeconds | None = None
    """Spot only: the wait for capacity, run included; >= max_run_seconds. Default: 2 x max_run_seconds."""
    distribution: Distribution | None = None
    """Launch on every device of every instance (GPU types; torchrun also Trainium; EFA types when
    instance_count > 1 and for smdistributed)."""

    @model_validator(mode="after")
    def _scales(self) -> LifecycleTrainingConfig:
        raise_scaling_problems(self)
        return self


class LifecyclePipelineConfig(StrictModel):
    """What every lifecycle pipeline that uses a registry group has: its name, the group, its account."""

    name: SageMakerPipelineName
    model_package_group: ModelPackageGroupName
    account: WorkloadAccountRole


class LifecycleBuildConfig(LifecyclePipelineConfig):
    """A model-build pipeline: preprocess → train → evaluate → champion/challenger gate → register."""

    account: WorkloadAccountRole = "dev"
    """Where the pipeline runs; its pipeline-step role must register (`registry.register_from`)."""
    objective: LifecycleObjectiveConfig
    training: LifecycleTrainingConfig = LifecycleTrainingConfig()
    processing: LifecycleJobConfig = LifecycleJobConfig()
    hyperparameters: dict[str, Annotated[str, Field(max_length=2500)]] = Field(default_factory=dict)
    content_types: Annotated[Items[ShortText], Field(min_length=1)] = ("text/csv",)
    response_types: Annotated[Items[ShortText], Field(min_length=1)] = ("text/csv",)
    tuning: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    """The name of a `tuning` spec run as a Tuning step instead of `training`; the best training job's model
    is evaluated and registered. Default: none (one training job)."""
    baseline: bool = True
    """A data quality QualityCheck step: each registered version gets a Model Monitor baseline (its
    DriftCheckBaselines), written where the monitors of the group's endpoints read it."""
    model_quality_baseline: bool = True
    """When a `monitoring` entry of an endpoint of this group has `model_quality`: after the gate, the challenger
    scores the test split (a Model and a Transform step) and a model quality QualityCheck step registers the
    version's model quality baseline (that entry's problem_type and probability_threshold), which the model
    quality monitors read. False: no such steps."""

    @model_validator(mode="after")
    def _training_or_tuning(self) -> LifecycleBuildConfig:
        if self.tuning is not None and "training" in self.model_fields_set:
            raise field_problem("tuning", self.tuning, "give `training` or `tuning`, not both")
        return self


class LifecycleBatchConfig(LifecyclePipelineConfig):
    """A batch inference pipeline: the latest Approved version of a group scores a prefix of the lifecycle bucket."""

    account: WorkloadAccountRole = "prod"
    input_prefix: S3KeyPrefix
    output_prefix: S3KeyPrefix
    instance_type: LifecycleInstanceType = "ml.m5.large"
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    content_type: ShortText = "text/csv"
    accept: ShortText = "text/csv"
    split_type: Literal["None", "Line", "RecordIO", "TFRecord"] = "Line"


class LifecycleModelQualityConfig(StrictModel):
    """Model Monitor model quality: predictions merged with ground truth labels uploaded under a prefix."""

    ground_truth_prefix: S3KeyPrefix
    """Key prefix in the stage's lifecycle bucket where ground truth (JSON lines, by inference id) is uploaded."""
    problem_type: Literal["BinaryClassification", "MulticlassClassification", "Regression"]
    inference_attribute: ShortText | None = None
    """Where the prediction is in the captured output (CSV index or JSON path)."""
    probability_attribute: ShortText | None = None
    """Where the probability is in the captured output (classification)."""
    probability_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    """Binary classification with `probability_attribute`: the threshold that makes a positive label."""

    @model_validator(mode="after")
    def _attributes_fit_the_problem(self) -> LifecycleModelQualityConfig:
        # The construct's rules, reported at the first key refused; imported here: that module imports the CDK.
        from sagemaker_platform.constructs.lifecycle.model_quality import attribute_problems

        problems = attribute_problems(
            self.problem_type, self.inference_attribute, self.probability_attribute, self.probability_threshold
        )
        if problems:
            key, value, message = problems[0]
            raise field_problem(key, value, message)
        return self


class LifecycleMonitorConfig(StrictModel):
    """Model Monitor data quality of one `endpoints` entry (with data capture) in one stage."""

    endpoint: Annotated[str, AfterValidator(_endpoint_entry_name)]
    stage: Literal["staging", "prod"] = "prod"
    schedule_expression: Annotated[str, Field(pattern=r"^cron\(.+\)$")] = "cron(0 * ? * * *)"
    instance_type: LifecycleInstanceType = "ml.m5.large"
    max_run_seconds: Annotated[int, Field(ge=1, le=3600)] = 1800
    baseline: bool | None = None
    """Check data quality against the baseline a `lifecycle.build` pipeline of the endpoint's group registers
    (`baseline: true` there), and model quality against its model quality baseline (`model_quality_baseline`).
    Default: when such a pipeline exists; true: the data quality one is required; false: no baseline."""
    model_quality: LifecycleModelQualityConfig | None = None
    """Model quality monitoring too, where ground truth is uploaded. Default: none."""
    retrain_pipeline_name: SageMakerPipelineName | None = None
    """A `lifecycle.build` pipeline in the stage's account, started on each violation (drift). That account must
    register (`registry.register_from`). Default: none."""


class LifecycleConfig(StrictModel):
    """`lifecycle`: the SageMaker pipelines the platform creates (build with a quality gate, batch inference)."""

    build: Items[LifecycleBuildConfig] = ()
    batch: Items[LifecycleBatchConfig] = ()
    monitoring: Items[LifecycleMonitorConfig] = ()
    removal_policy: Literal["retain", "destroy"] = "retain"
    """Of the lifecycle key and buckets."""

    @model_validator(mode="after")
    def _unique_names(self) -> LifecycleConfig:
        entries: list[LifecycleBuildConfig | LifecycleBatchConfig] = [*self.build, *self.batch]
        names = [entry.name.lower() for entry in entries]
        for index, entry in enumerate(entries):
            if names.count(entry.name.lower()) > 1:
                key = f"build[{index}]" if index < len(self.build) else f"batch[{index - len(self.build)}]"
                raise field_problem(f"{key}.name", entry.name, "each lifecycle pipeline name may be used once")
        return self

    def pipelines_in(self, account: str) -> dict[str, str]:
        """Pipeline name -> kind (``build`` or ``batch``) of the pipelines in one account role."""
        found = {entry.name: "build" for entry in self.build if entry.account == account}
        found.update({entry.name: "batch" for entry in self.batch if entry.account == account})
        return found
