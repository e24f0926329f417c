"""`ModelBuildPipeline`: preprocess → train → evaluate → champion/challenger gate → register (SageMaker Pipelines).

The definition is rendered at synth from typed props into `AWS::SageMaker::Pipeline`. The gate reads the
group's latest Approved version's ``objective_value`` at run time (a Lambda step, `RegistryLookup`) and
registers the challenger as PendingManualApproval only when there is no champion yet or the challenger's
evaluation metric (``Std:JsonGet`` on the evaluation report) beats it. The registered version carries the
evaluation report as its ModelQuality statistics and the metric as CustomerMetadataProperties, as the tuning
register step writes them, so either kind of version can be the next champion.

Scripts: ``preprocess.py`` (reads ``/opt/ml/processing/input/data``, writes ``train``, ``validation`` and
``test`` under ``/opt/ml/processing/output/``) and ``evaluate.py`` (reads ``/opt/ml/processing/model`` and
``/opt/ml/processing/test``, writes ``/opt/ml/processing/evaluation/evaluation.json``) under the `CodeUrl`
parameter's prefix.
"""

from __future__ import annotations

from typing import Any, Unpack

from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform.constructs.lifecycle.baseline import (
    DATA_QUALITY_BASELINE,
    MODEL_QUALITY_BASELINE,
    SCORED_WITH_LABEL,
    CheckJob,
    ModelQualityBaseline,
    check_metrics,
    data_quality_check,
    model_quality_check,
    processing_input,
)
from sagemaker_platform.constructs.lifecycle.definition import (
    EXECUTION_ID,
    AnyOf,
    Comparison,
    ComparisonType,
    Get,
    Join,
    JsonGet,
    Parameter,
    PipelineDefinition,
    PropertyFile,
    Step,
    Value,
    parameter,
    step_output,
)
from sagemaker_platform.constructs.lifecycle.images import builtin_image_uri, model_monitor_image_uri
from sagemaker_platform.constructs.lifecycle.lookup import lookup_step
from sagemaker_platform.constructs.lifecycle.pipeline import (
    PIPELINE_STEP_STATUS_CHANGE,
    LifecyclePipeline,
    PipelineProps,
    check_pipeline_name,
)
from sagemaker_platform.constructs.lifecycle.rules import sagemaker_rule
from sagemaker_platform.constructs.lifecycle.settings import (
    DEFAULT_PROCESSING_IMAGE,
    JobResources,
    ModelFormat,
    Objective,
    TrainingSettings,
)
from sagemaker_platform.constructs.lifecycle.training import (
    CHECKPOINT_LOCAL_PATH,
    MAX_TRAINING_SECONDS,
    distribution_hyperparameters,
    scaling_problems,
)
from sagemaker_platform.constructs.lifecycle.transform import TransformRecords, transform_request
from sagemaker_platform.constructs.lifecycle.tuning_step import (
    TRAINING_CHANNELS,
    best_model_uri,
    tuning_arguments,
    tuning_image,
    tuning_problems,
)
from sagemaker_platform.contracts.tuning_spec import TuningSpec
from sagemaker_platform.errors import ProblemCollector

CODE_PATH = "/opt/ml/processing/input/code"
SPLITS = ("train", "validation", "test")
# Step names are part of the definition's contract: events, notifications and tests name them.
PREPROCESS, TRAIN, TUNE, EVALUATE, CHAMPION, GATE, REGISTER = (
    "Preprocess",
    "Train",
    "Tune",
    "Evaluate",
    "ChampionMetric",
    "ChampionChallengerGate",
    "RegisterModel",
)
EVALUATION_REPORT = "EvaluationReport"
# The model quality baseline's steps (in the gate's branch): the challenger as a model, the test split scored.
CHALLENGER_MODEL, SCORE_TEST = "ChallengerModel", "ScoreTestSplit"


class ModelBuildPipeline(LifecyclePipeline):
    """A model-build pipeline with a champion/challenger gate, registering in a (central) model package group.

    Example::

        ModelBuildPipeline(self, "ChurnTrain", pipeline_name="churn-train",
                           model_package_group_arn=group_arn, storage=storage,
                           pipeline_role=step_role, job_role=execution_role,
                           lookup_function_arn=lookup.function_arn,
                           objective=Objective(metric="auc", json_path="metrics.auc.value"),
                           model_output_uri="s3://models-bucket/churn/pipelines/churn-train")

    :param props: the `PipelineProps` every lifecycle pipeline takes: `model_package_group_arn` is where
        challengers are registered (PendingManualApproval), so `pipeline_role` must be one the registry trusts;
        the gate calls `lookup_function_arn`; `topic` is notified of each gate outcome and each failed execution.
    :param objective: the metric the gate compares.
    :param model_output_uri: where training writes the model artifact (where every stage can read it, e.g.
        the registry's artifacts bucket). Default: the lifecycle bucket, ``<pipeline>/models``.
    :param training: Default: `TrainingSettings()`.
    :param processing: the preprocessing and evaluation steps. Default: the scikit-learn built-in image.
    :param model_format: Default: CSV in and out.
    :param inference_image: the registered model's image. Default: the training image.
    :param tuning: a tuning spec (`contracts.tuning_spec`) run as a `Tuning` step instead of the training step;
        the best training job's model is evaluated and registered. Give `training` or `tuning`, not both.
        Default: none (one training job).
    :param baseline_uri: where a data quality `QualityCheck` step writes the Model Monitor baseline
        (``statistics.json``, ``constraints.json``) of each registered version, recorded as its DriftCheckBaselines;
        monitors read it there. Default: none (no baselining step).
    :param model_quality_baseline: a model quality `QualityCheck` step after the challenger (as a Model step)
        scores the test split (a Transform step): its constraints become the version's ModelQuality metrics and
        drift-check baseline, written where the model quality monitors read them. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        objective: Objective,
        model_output_uri: str | None = None,
        training: TrainingSettings | None = None,
        processing: JobResources | None = None,
        model_format: ModelFormat | None = None,
        inference_image: str | None = None,
        tuning: TuningSpec | None = None,
        baseline_uri: str | None = None,
        model_quality_baseline: ModelQualityBaseline | None = None,
        **props: Unpack[PipelineProps],
    ) -> None:
        super().__init__(scope, id, **props)
        self._tuning = tuning
        self._training_given = training is not None
        self._baseline_uri = baseline_uri
        self._model_quality = model_quality_baseline
        self._training = TrainingSettings() if training is None else training
        self._processing = JobResources(image=DEFAULT_PROCESSING_IMAGE) if processing is None else processing
        self._format = ModelFormat() if model_format is None else model_format
        self._objective = objective
        self._validate()
        self._model_output_uri = (
            self._storage.s3_uri(self._name, "models") if model_output_uri is None else model_output_uri
        )
        image = self._training.resources.image if tuning is None else tuning_image(tuning)
        training_image = builtin_image_uri(self, image)
        self._inference_image = training_image if inference_image is None else builtin_image_uri(self, inference_image)
        self._processing_image = builtin_image_uri(self, self._processing.image)
        self.definition = self._render_definition(self._group_arn, self._lookup_arn, training_image)
        self._create_pipeline(
            "Builds a challenger and registers it when it beats the approved champion", self.definition
        )
        if self._topic is not None:
            self.add_notifications(self._topic)

    @property
    def code_prefix(self) -> str:
        """The lifecycle bucket key prefix the `CodeUrl` parameter defaults to (``<pipeline>/code/``): where CI
        uploads ``preprocess.py`` and ``evaluate.py``."""
        return f"{self._name}/code/"

    def add_notifications(self, topic: sns.ITopic) -> None:
        """Notify `topic` of each gate outcome (the event's ``metadata`` holds it) and of each failed execution."""
        sagemaker_rule(
            self,
            "GateOutcome",
            description=f"{self._name}: champion/challenger gate outcome (registered or kept the champion)",
            detail_type=PIPELINE_STEP_STATUS_CHANGE,
            detail={"pipelineArn": [self.pipeline_arn], "stepName": [GATE], "currentStepStatus": ["Succeeded"]},
            targets=[targets.SnsTopic(topic, dead_letter_queue=self._storage.rule_dead_letter_queue)],
        )
        self._notify_failed(topic)

    # --- rendering ------------------------------------------------------------------------------

    def _render_definition(self, group_arn: str, lookup_arn: str, training_image: str) -> PipelineDefinition:
        model_data = self._model_data()
        challenger = JsonGet(EVALUATE, EVALUATION_REPORT, self._objective.json_path)
        return PipelineDefinition(
            parameters=self._parameters(),
            steps=(
                Step(
                    name=PREPROCESS,
                    type="Processing",
                    arguments=self._processing_request(
                        "preprocess.py",
                        inputs=[("data", parameter("InputDataUrl"), "/opt/ml/processing/input/data")],
                        outputs=[(split, f"/opt/ml/processing/output/{split}") for split in SPLITS],
                    ),
                ),
                self._training_step(training_image),
                self._evaluate_step(model_data),
                lookup_step(
                    CHAMPION,
                    function_arn=lookup_arn,
                    model_package_group_arn=group_arn,
                    mode="champion",
                    depends_on=(EVALUATE,),
                ),
                self._gate_step(group_arn, model_data, challenger),
            ),
        )

    def _parameters(self) -> tuple[Parameter, ...]:
        return (
            Parameter("InputDataUrl", "String", self._storage.s3_uri(self._name, "input")),
            Parameter("CodeUrl", "String", self._storage.s3_uri(self._name, "code")),
            Parameter("ProcessingInstanceType", "String", self._processing.instance_type),
            # A distributed job's type is validated at synth (GPU, EFA): not overridable per execution; a
            # tuning spec's type is the spec's.
            *(
                ()
                if self._training.distribution is not None or self._tuning is not None
                else (Parameter("TrainingInstanceType", "String", self._training.resources.instance_type),)
            ),
        )

    def _evaluate_step(self, model_data: Value) -> Step:
        return Step(
            name=EVALUATE,
            type="Processing",
            arguments=self._processing_request(
                "evaluate.py",
                inputs=[
                    ("model", model_data, "/opt/ml/processing/model"),
                    ("test", _split_uri("test"), "/opt/ml/processing/test"),
                ],
                outputs=[("evaluation", "/opt/ml/processing/evaluation")],
            ),
            property_files=(PropertyFile(EVALUATION_REPORT, "evaluation", "evaluation.json"),),
        )

    def _gate_step(self, group_arn: str, model_data: Value, challenger: Value) -> Step:
        """Register (after the baselines, if any) only a first model or one better than the champion."""
        champion = step_output(CHAMPION, "champion_metric")
        better: ComparisonType = "GreaterThan" if self._objective.type == "Maximize" else "LessThan"
        baseline_steps = self._baseline_steps(group_arn, model_data)
        return Step(
            name=GATE,
            type="Condition",
            conditions=(
                AnyOf(
                    (
                        Comparison("Equals", step_output(CHAMPION, "has_champion"), False),
                        Comparison(better, challenger, champion),
                    )
                ),
            ),
            if_steps=(*baseline_steps, self._register_step(group_arn, model_data, challenger)),
        )

    def _register_step(self, group_arn: str, model_data: Value, challenger: Value) -> Step:
        evaluation_uri = self._execution_uri("evaluation")
        model_metrics: dict[str, Any] = {
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": Join((evaluation_uri, "/evaluation.json"))}
            }
        }
        drift_check: dict[str, Any] = {}
        if self._baseline_uri is not None:
            model_metrics["ModelDataQuality"], drift_check["ModelDataQuality"] = check_metrics(DATA_QUALITY_BASELINE)
        if self._model_quality is not None:
            calculated, drift_check["ModelQuality"] = check_metrics(MODEL_QUALITY_BASELINE)
            # The evaluation report stays the statistics (the champion's metric comes from it, as for tuning).
            model_metrics["ModelQuality"]["Constraints"] = calculated["Constraints"]
        return Step(
            name=REGISTER,
            type="RegisterModel",
            arguments={
                "ModelPackageGroupName": group_arn,
                "ModelPackageDescription": Join((self._name, " execution ", EXECUTION_ID)),
                "ModelApprovalStatus": "PendingManualApproval",
                "InferenceSpecification": {
                    "Containers": [{"Image": self._inference_image, "ModelDataUrl": model_data}],
                    "SupportedContentTypes": list(self._format.content_types),
                    "SupportedResponseMIMETypes": list(self._format.response_types),
                },
                "ModelMetrics": model_metrics,
                # None (no baselining step) is left out of the request.
                "DriftCheckBaselines": drift_check or None,
                "CustomerMetadataProperties": {
                    "objective_metric": self._objective.metric,
                    "objective_type": self._objective.type,
                    # Std:Join renders the float as a string, as metadata values must be.
                    "objective_value": Join((challenger,)),
                    "pipeline": self._name,
                    "pipeline_execution": EXECUTION_ID,
                },
            },
        )

    def _training_step(self, image: str) -> Step:
        if self._tuning is None:
            return Step(name=TRAIN, type="Training", arguments=self._training_request(image))
        return Step(
            name=TUNE,
            type="Tuning",
            arguments=tuning_arguments(
                self._tuning,
                image=image,
                role_arn=self._job_role.role_arn,
                channel_uris={split: _split_uri(split) for split in TRAINING_CHANNELS},
                default_content_type=self._format.content_types[0] if self._format.content_types else "text/csv",
                output_path=self._model_output_uri,
                volume_kms_key=self._storage.key.key_arn,
                checkpoint_uri=self._execution_uri("checkpoints"),
            ),
        )

    def _baseline_steps(self, group_arn: str, model_data: Value) -> tuple[Step, ...]:
        """The QualityCheck steps (and what the model quality one scores), in the gate's branch: only a version
        that is registered replaces the baselines the monitors read."""
        job = CheckJob(
            image_uri=model_monitor_image_uri(self),
            role_arn=self._job_role.role_arn,
            instance_type=parameter("ProcessingInstanceType"),
            volume_size_gb=self._processing.volume_size_gb,
            volume_kms_key=self._storage.key.key_arn,
            max_run_seconds=self._processing.max_run_seconds,
            model_package_group_arn=group_arn,
        )
        steps: list[Step] = []
        if self._baseline_uri is not None:
            steps.append(data_quality_check(job, dataset_uri=_split_uri("train"), output_uri=self._baseline_uri))
        if self._model_quality is not None:
            scored = Get(f"Steps.{SCORE_TEST}.TransformOutput.S3OutputPath")
            steps += [
                *self._score_test_steps(model_data),
                model_quality_check(job, dataset_uri=scored, baseline=self._model_quality),
            ]
        return tuple(steps)

    def _score_test_steps(self, model_data: Value) -> tuple[Step, Step]:
        """The challenger as a SageMaker model, and a Transform step writing ``<label>,<prediction>`` per test record
        (CSV, the processing instance type, per execution in the lifecycle bucket)."""
        key = self._storage.key.key_arn
        model = Step(
            name=CHALLENGER_MODEL,
            type="Model",
            arguments={
                "ExecutionRoleArn": self._job_role.role_arn,
                "PrimaryContainer": {"Image": self._inference_image, "ModelDataUrl": model_data},
                "EnableNetworkIsolation": True,
            },
        )
        score = Step(
            name=SCORE_TEST,
            type="Transform",
            arguments=transform_request(
                model_name=Get(f"Steps.{CHALLENGER_MODEL}.ModelName"),
                input_uri=_split_uri("test"),
                output_uri=self._execution_uri("scored-test"),
                records=TransformRecords(),
                instance_type=parameter("ProcessingInstanceType"),
                instance_count=1,
                kms_key=key,
                data_processing=SCORED_WITH_LABEL,
            ),
        )
        return model, score

    def _model_data(self) -> Value:
        """The model artifact to evaluate and register: the training job's, or the tuning job's best."""
        if self._tuning is None:
            return Get(f"Steps.{TRAIN}.ModelArtifacts.S3ModelArtifacts")
        return best_model_uri(TUNE, self._model_output_uri)

    def _execution_uri(self, output: str) -> Join:
        return Join((self._storage.s3_uri(self._name, "executions"), EXECUTION_ID, output), on="/")

    def _processing_request(
        self, script: str, *, inputs: list[tuple[str, Any, str]], outputs: list[tuple[str, str]]
    ) -> dict[str, Any]:
        resources = self._processing
        key = self._storage.key.key_arn
        return {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": parameter("ProcessingInstanceType"),
                    "InstanceCount": resources.instance_count,
                    "VolumeSizeInGB": resources.volume_size_gb,
                    "VolumeKmsKeyId": key,
                }
            },
            "AppSpecification": {
                "ImageUri": self._processing_image,
                "ContainerEntrypoint": ["python3", f"{CODE_PATH}/{script}"],
            },
            "RoleArn": self._job_role.role_arn,
            "ProcessingInputs": [
                processing_input(name, uri, path)
                for name, uri, path in [*inputs, ("code", parameter("CodeUrl"), CODE_PATH)]
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": name,
                        "AppManaged": False,
                        "S3Output": {"S3Uri": self._execution_uri(name), "LocalPath": path, "S3UploadMode": "EndOfJob"},
                    }
                    for name, path in outputs
                ],
                "KmsKeyId": key,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": resources.max_run_seconds},
            "NetworkConfig": {"EnableInterContainerTrafficEncryption": True},
        }

    def _training_request(self, image: str) -> dict[str, Any]:
        settings = self._training
        resources = settings.resources
        hyperparameters = dict(settings.hyperparameters)
        instance_type: Any = parameter("TrainingInstanceType")
        if settings.distribution is not None:
            instance_type = resources.instance_type
            hyperparameters.update(distribution_hyperparameters(settings.distribution, resources.instance_type))
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": resources.max_run_seconds}
        spot: dict[str, Any] = {}
        if settings.use_spot:
            stopping["MaxWaitTimeInSeconds"] = _max_wait(settings)
            # Per execution: a rerun must not resume from an earlier execution's checkpoints. The bucket's
            # default encryption (the lifecycle key) covers them; the job policy already grants the bucket.
            spot = {
                "EnableManagedSpotTraining": True,
                "CheckpointConfig": {"S3Uri": self._execution_uri("checkpoints"), "LocalPath": CHECKPOINT_LOCAL_PATH},
            }
        return {
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "RoleArn": self._job_role.role_arn,
            "HyperParameters": dict(sorted(hyperparameters.items())) or None,
            "InputDataConfig": [
                {
                    "ChannelName": split,
                    "ContentType": self._format.content_types[0],
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": _split_uri(split),
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
                for split in ("train", "validation")
            ],
            "OutputDataConfig": {"S3OutputPath": self._model_output_uri},
            "ResourceConfig": {
                "InstanceType": instance_type,
                "InstanceCount": resources.instance_count,
                "VolumeSizeInGB": resources.volume_size_gb,
                "VolumeKmsKeyId": self._storage.key.key_arn,
            },
            "StoppingCondition": stopping,
            "EnableNetworkIsolation": settings.network_isolation,
            "EnableInterContainerTrafficEncryption": True,
            **spot,
        }

    def _validate(self) -> None:
        problems = ProblemCollector("ModelBuildPipeline")
        check_pipeline_name(problems, self._name)
        problems.check(bool(self._objective.json_path), "objective.json_path='': give the report's JSON path")
        for label, resources in (("training", self._training.resources), ("processing", self._processing)):
            problems.check(resources.instance_count >= 1, f"{label}.instance_count={resources.instance_count}: >= 1")
            problems.check(
                1 <= resources.max_run_seconds <= 2419200,
                f"{label}.max_run_seconds={resources.max_run_seconds}: 1 to 2419200 (28 days)",
            )
        problems.check(bool(self._format.content_types), "model_format.content_types=(): give at least one")
        training = self._training
        for problem in scaling_problems(
            instance_type=training.resources.instance_type,
            instance_count=training.resources.instance_count,
            max_run_seconds=training.resources.max_run_seconds,
            use_spot=training.use_spot,
            max_wait_seconds=training.max_wait_seconds,
            distribution=training.distribution,
        ):
            problems.add(problem.describe("training"))
        if self._tuning is not None:
            problems.check(
                not self._training_given, "training and tuning: give one (the tuning spec defines its training jobs)"
            )
            for message in tuning_problems(self._tuning):
                problems.add(message)
        if self._baseline_uri is not None:
            problems.check(
                self._baseline_uri.startswith("s3://") and not self._baseline_uri.endswith("/"),
                f"baseline_uri={self._baseline_uri!r}: an s3:// prefix without a trailing '/'",
            )
        if self._model_quality is not None:
            for message in self._model_quality.problems():
                problems.add(message)
            # The scored split is CSV: the model must take and answer it.
            problems.check(
                "text/csv" in self._format.content_types and "text/csv" in self._format.response_types,
                f"model_format={self._format!r}: text/csv in and out, for the model quality baseline's scoring",
            )
        problems.raise_if_any()


def _max_wait(settings: TrainingSettings) -> int:
    if settings.max_wait_seconds is not None:
        return settings.max_wait_seconds
    return min(2 * settings.resources.max_run_seconds, MAX_TRAINING_SECONDS)


def _split_uri(split: str) -> Get:
    return Get(f"Steps.{PREPROCESS}.ProcessingOutputConfig.Outputs['{split}'].S3Output.S3Uri")
