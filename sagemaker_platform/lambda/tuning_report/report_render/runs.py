"""The tuning runs the report draws: `TuningRun` and its `Trial`s, read from the SageMaker API responses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Trial:
    """One training job of a tuning job."""

    training_job: str
    status: str
    objective: float | None
    hyperparameters: dict[str, str]
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TuningRun:
    """One tuning job: its strategy, status, objective, warm-start parents and training jobs."""

    name: str
    strategy: str
    status: str
    objective_metric: str
    objective_type: str
    warm_start_parents: tuple[str, ...]
    trials: tuple[Trial, ...]
    # Hyperparameter name -> ScalingType of its range (Auto, Linear, Logarithmic, ReverseLogarithmic).
    scaling: dict[str, str] = field(default_factory=dict)

    @property
    def maximize(self) -> bool:
        return self.objective_type == "Maximize"

    def scored(self) -> list[Trial]:
        return [t for t in self.trials if t.objective is not None and t.end is not None]

    def best(self, top: int) -> list[Trial]:
        return sorted(self.scored(), key=lambda t: t.objective or 0.0, reverse=self.maximize)[:top]

    def started(self) -> datetime | None:
        starts = [t.start for t in self.trials if t.start is not None]
        return min(starts) if starts else None


def run_from_responses(job: Mapping[str, Any], summaries: Iterable[Mapping[str, Any]]) -> TuningRun:
    """A `TuningRun` from DescribeHyperParameterTuningJob and the ListTrainingJobsFor... summaries."""
    config = job.get("HyperParameterTuningJobConfig", {})
    trials = tuple(
        Trial(
            training_job=s["TrainingJobName"],
            status=s.get("TrainingJobStatus", "?"),
            objective=(
                float(s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
                if "FinalHyperParameterTuningJobObjectiveMetric" in s
                else None
            ),
            hyperparameters={k: str(v).strip('"') for k, v in s.get("TunedHyperParameters", {}).items()},
            start=s.get("TrainingStartTime") or s.get("CreationTime"),
            end=s.get("TrainingEndTime"),
        )
        for s in summaries
    )
    parents = tuple(
        p["HyperParameterTuningJobName"]
        for p in job.get("WarmStartConfig", {}).get("ParentHyperParameterTuningJobs", [])
    )
    objective = config.get("HyperParameterTuningJobObjective", {})
    ranges = config.get("ParameterRanges", {})
    scaling = {
        r["Name"]: r.get("ScalingType", "Auto")
        for kind in ("ContinuousParameterRanges", "IntegerParameterRanges")
        for r in ranges.get(kind, [])
    }
    return TuningRun(
        name=job["HyperParameterTuningJobName"],
        strategy=config.get("Strategy", "?"),
        status=job.get("HyperParameterTuningJobStatus", "?"),
        objective_metric=objective.get("MetricName", "objective"),
        objective_type=objective.get("Type", "Maximize"),
        warm_start_parents=parents,
        trials=tuple(sorted(trials, key=lambda t: (_timestamp(t.end or t.start), t.training_job))),
        scaling=scaling,
    )


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")
