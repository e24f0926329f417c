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

from typing import Unpack

from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform.constructs.lifecycle.baseline import ModelQualityBaseline
from sagemaker_platform.constructs.lifecycle.build_gate import GATE, BuildGate
from sagemaker_platform.constructs.lifecycle.build_jobs import BuildJobs
from sagemaker_platform.constructs.lifecycle.definition import Parameter, PipelineDefinition
from sagemaker_platform.constructs.lifecycle.images import builtin_image_uri, model_monitor_image_uri
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
from sagemaker_platform.constructs.lifecycle.training import scaling_problems
from sagemaker_platform.constructs.lifecycle.tuning_step import tuning_image, tuning_problems
from sagemaker_platform.contracts.tuning_spec import TuningSpec
from sagemaker_platform.errors import ProblemCollector


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
        self.definition = self._render_definition(training_image)
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

    def _render_definition(self, training_image: str) -> PipelineDefinition:
        """Preprocess → train or tune → evaluate → champion lookup → gate (baselines, register)."""
        jobs = BuildJobs(
            executions_uri=self._storage.s3_uri(self._name, "executions"),
            key_arn=self._storage.key.key_arn,
            job_role_arn=self._job_role.role_arn,
            processing=self._processing,
            processing_image=self._processing_image,
            training=self._training,
            model_format=self._format,
            model_output_uri=self._model_output_uri,
            tuning=self._tuning,
        )
        gate = BuildGate(
            jobs=jobs,
            pipeline_name=self._name,
            group_arn=self._group_arn,
            lookup_arn=self._lookup_arn,
            monitor_image=model_monitor_image_uri(self),
            objective=self._objective,
            inference_image=self._inference_image,
            baseline_uri=self._baseline_uri,
            model_quality=self._model_quality,
        )
        model_data = jobs.model_data()
        return PipelineDefinition(
            parameters=self._parameters(),
            steps=(
                jobs.preprocess_step(),
                jobs.training_step(training_image),
                jobs.evaluate_step(model_data),
                *gate.steps(model_data),
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
