"""Reading the search half of a tuning spec: name, objective, metrics, ranges, static hyperparameters, limits,
and the checks across them that depend on the strategy. Used by `tuning_spec.parse_spec`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from sagemaker_platform.contracts.spec_reader import SpecReader
from sagemaker_platform.contracts.tuning_limits import (
    MAX_CATEGORICAL_VALUES,
    MAX_METRIC_DEFINITIONS,
    MAX_PARALLEL_TRAINING_JOBS,
    MAX_RANGES,
    MAX_SPEC_NAME_LENGTH,
    MAX_STATIC_HYPERPARAMETERS,
    MAX_TRAINING_JOBS,
    MAX_TUNING_RUNTIME_SECONDS,
    MIN_TUNING_RUNTIME_SECONDS,
    OBJECTIVE_TYPES,
    RANGE_TYPES,
    RUN_ID_LENGTH,
    SCALING_TYPES,
    SPEC_NAME_PATTERN,
    XGBOOST_OBJECTIVES,
)
from sagemaker_platform.contracts.tuning_spec_types import (
    Hyperband,
    MetricDefinition,
    ParameterRange,
    PlatformImage,
    WarmStart,
)


class Limits(NamedTuple):
    """How many training jobs, how many at once, for how long, and the random seed."""

    max_jobs: int | None
    max_parallel: int | None
    max_runtime: int | None
    random_seed: int | None


def read_limits(r: SpecReader, data: Mapping[str, Any]) -> Limits:
    """`max_jobs`, `max_parallel_jobs`, `max_runtime_seconds` and `random_seed`, within the service quotas."""
    max_jobs = r.integer(
        data,
        "max_jobs",
        "",
        minimum=1,
        maximum=MAX_TRAINING_JOBS,
        hint=" (the default service quota of training jobs per tuning job)",
    )
    max_parallel = r.integer(
        data,
        "max_parallel_jobs",
        "",
        minimum=1,
        maximum=MAX_PARALLEL_TRAINING_JOBS,
        default=1,
        hint=" (the default service quota of concurrent training jobs per tuning job)",
    )
    max_runtime = r.integer(
        data, "max_runtime_seconds", "", minimum=MIN_TUNING_RUNTIME_SECONDS, maximum=MAX_TUNING_RUNTIME_SECONDS
    )
    random_seed = r.integer(data, "random_seed", "", minimum=0, maximum=2**31 - 1)
    return Limits(max_jobs, max_parallel, max_runtime, random_seed)


def read_name(r: SpecReader, data: Mapping[str, Any]) -> str | None:
    """`name`: short enough that the tuning job name (name + run id) fits SageMaker's 32 characters."""
    return r.string(
        data,
        "name",
        "",
        pattern=SPEC_NAME_PATTERN,
        hint=f"letters, digits and inner hyphens, at most {MAX_SPEC_NAME_LENGTH} characters "
        f"(the tuning job name adds a {RUN_ID_LENGTH + 1}-character run id; SageMaker allows 32)",
    )


def read_objective(r: SpecReader, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`objective: {metric, type}`; (None, None) when absent or refused."""
    objective = r.section(data, "objective", {"metric": True, "type": True})
    if objective is None:
        return None, None
    metric = r.string(objective, "metric", "objective")
    kind = r.string(objective, "type", "objective", allowed=OBJECTIVE_TYPES)
    return metric, kind


def read_metric_definitions(r: SpecReader, data: Mapping[str, Any]) -> tuple[MetricDefinition, ...]:
    """`metric_definitions`: unique names, each regex with exactly one capture group."""
    value = data.get("metric_definitions", [])
    if not isinstance(value, list | tuple):
        r.add("metric_definitions", value, "must be a list of {name, regex}")
        return ()
    if len(value) > MAX_METRIC_DEFINITIONS:
        r.add("metric_definitions", len(value), f"at most {MAX_METRIC_DEFINITIONS} metric definitions")
    result: list[MetricDefinition] = []
    for index, item in enumerate(value):
        path = f"metric_definitions[{index}]"
        entry = r.mapping(item, path, {"name": True, "regex": True})
        if entry is None:
            continue
        name = r.string(entry, "name", path)
        regex = r.string(entry, "regex", path)
        if regex is not None:
            regex_problem = check_metric_regex(regex)
            if regex_problem:
                r.add(f"{path}.regex", regex, regex_problem)
                regex = None
        if name is not None and regex is not None:
            result.append(MetricDefinition(name, regex))
    names = [m.name for m in result]
    if len(set(names)) != len(names):
        r.add("metric_definitions", names, "metric names must be unique")
    return tuple(result)


def check_metric_regex(regex: str) -> str | None:
    """Why `regex` cannot extract a metric from the training log, or None if it can.

    SageMaker takes the first capture group as the metric value, so there must be exactly one.
    """
    if len(regex) > 500:
        return "at most 500 characters"
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        return f"does not compile: {exc}"
    if compiled.groups != 1:
        return f"must have exactly one capture group (the metric value); it has {compiled.groups}"
    return None


def read_ranges(r: SpecReader, data: Mapping[str, Any]) -> tuple[ParameterRange, ...]:
    """`ranges`: hyperparameter name -> a categorical, integer or continuous range."""
    if isinstance(data.get("ranges"), Mapping) and len(data["ranges"]) > MAX_RANGES:
        r.add("ranges", len(data["ranges"]), f"at most {MAX_RANGES} hyperparameters can be searched")
    result: list[ParameterRange] = []
    keys = {"type": True, "min": False, "max": False, "scaling": False, "values": False}
    for name, path, entry in r.named_entries(data, "ranges", keys, "must be a non-empty mapping of name -> range"):
        kind = r.string(entry, "type", path, allowed=RANGE_TYPES)
        if kind == "categorical":
            for key in ("min", "max", "scaling"):
                if key in entry:
                    r.add(f"{path}.{key}", entry[key], "not allowed for a categorical range (use values)")
            values = r.string_list(entry, "values", path, minimum=1, maximum=MAX_CATEGORICAL_VALUES)
            result.append(ParameterRange(name, kind, values=values))
        elif kind in ("integer", "continuous"):
            if "values" in entry:
                r.add(
                    f"{path}.values",
                    entry["values"],
                    f"not allowed for a{'n' if kind == 'integer' else ''} {kind} range (use min and max)",
                )
            low, high = r.number(entry, "min", path), r.number(entry, "max", path)
            scaling = r.string(entry, "scaling", path, allowed=SCALING_TYPES) or "Auto"
            if kind == "integer":
                for key, bound in (("min", low), ("max", high)):
                    if bound is not None and not bound.is_integer():
                        r.add(f"{path}.{key}", bound, "must be a whole number for an integer range")
            if low is not None and high is not None:
                if low >= high:
                    r.add(f"{path}.max", high, f"must be greater than min ({number_text(low)})")
                elif scaling == "Logarithmic" and low <= 0:
                    r.add(f"{path}.min", low, "Logarithmic scaling needs min > 0")
                elif scaling == "ReverseLogarithmic" and (kind != "continuous" or low < 0 or high >= 1):
                    r.add(
                        f"{path}.scaling",
                        scaling,
                        "ReverseLogarithmic scaling needs a continuous range with 0 <= min < max < 1",
                    )
            result.append(ParameterRange(name, kind, low, high, scaling))
    return tuple(result)


def number_text(value: float) -> str:
    """`value` as a spec or request writes it: whole numbers without ".0"."""
    return str(int(value)) if value.is_integer() else repr(value)


def read_static_hyperparameters(r: SpecReader, data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """`static_hyperparameters`: string values, none of them also searched in `ranges`."""
    value = data.get("static_hyperparameters", {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 256 and len(v) <= 2500 for k, v in value.items()
    ):
        r.add("static_hyperparameters", value, 'must map names to string values (quote numbers: "10")')
        return ()
    ranges = data.get("ranges")
    searched: Mapping[str, Any] = ranges if isinstance(ranges, Mapping) else {}
    if len(value) + len(searched) > MAX_STATIC_HYPERPARAMETERS:
        r.add(
            "static_hyperparameters",
            len(value),
            f"static and searched hyperparameters together: at most {MAX_STATIC_HYPERPARAMETERS} "
            f"({len(searched)} are searched)",
        )
    overlap = sorted(set(value) & set(searched))
    if overlap:
        r.add("static_hyperparameters", overlap, "a hyperparameter is either static or searched (in ranges), not both")
    return tuple(sorted(value.items()))


def read_hyperband(r: SpecReader, data: Mapping[str, Any]) -> Hyperband | None:
    """`hyperband: {min_resource, max_resource}`, min below max."""
    entry = r.section(data, "hyperband", {"min_resource": True, "max_resource": True})
    if entry is None:
        return None
    low = r.integer(entry, "min_resource", "hyperband", minimum=1, maximum=10**9)
    high = r.integer(entry, "max_resource", "hyperband", minimum=1, maximum=10**9)
    if low is None or high is None:
        return None
    if low >= high:
        r.add("hyperband.max_resource", high, f"must be greater than min_resource ({low})")
        return None
    return Hyperband(low, high)


def check_strategy(
    r: SpecReader,
    strategy: str | None,
    ranges: tuple[ParameterRange, ...],
    max_jobs: int | None,
    max_jobs_given: bool,
    early_stopping: str,
    hyperband: Hyperband | None,
    warm_start: WarmStart | None,
) -> None:
    """What the strategy allows: Grid searches categorical ranges only and derives `max_jobs`; Hyperband and Grid
    take no early stopping or warm start."""
    if strategy == "Grid":
        for item in ranges:
            if item.type != "categorical":
                r.add(f"ranges.{item.name}.type", item.type, "the Grid strategy searches only categorical ranges")
        combinations = 1
        for item in ranges:
            combinations *= max(len(item.values), 1)
        if combinations > MAX_TRAINING_JOBS:
            r.add("ranges", combinations, f"Grid runs one training job per combination: at most {MAX_TRAINING_JOBS}")
        if max_jobs_given:
            r.add("max_jobs", max_jobs, f"omit max_jobs: Grid runs one training job per combination ({combinations})")
    elif strategy is not None and not max_jobs_given:
        r.add("max_jobs", None, f"required for the {strategy} strategy (only Grid derives it from the ranges)")
    if strategy == "Hyperband":
        if early_stopping != "Off":
            r.add("early_stopping", early_stopping, "Hyperband stops jobs early on its own: early_stopping must be Off")
    elif hyperband is not None:
        r.add("hyperband", "set", f"hyperband settings apply only to the Hyperband strategy, not {strategy}")
    if strategy == "Grid" and early_stopping != "Off":
        r.add("early_stopping", early_stopping, "the Grid strategy runs every combination: early_stopping must be Off")
    if warm_start is not None and strategy in ("Hyperband", "Grid"):
        r.add("warm_start", "set", f"warm start is supported for the Bayesian and Random strategies, not {strategy}")


def check_objective(
    r: SpecReader,
    image: str | PlatformImage | None,
    metric: str | None,
    kind: str | None,
    definitions: tuple[MetricDefinition, ...],
) -> None:
    """A built-in algorithm's objective is one of its own metrics; a custom image's is a defined metric."""
    if image is None or metric is None:
        return
    if isinstance(image, str) and "/" not in image:  # a built-in algorithm emits its own metrics
        if definitions:
            r.add(
                "metric_definitions",
                [d.name for d in definitions],
                "a built-in algorithm emits its own metrics: omit metric_definitions",
            )
        if metric not in XGBOOST_OBJECTIVES:
            r.add(
                "objective.metric",
                metric,
                f"the built-in XGBoost objective metrics are {', '.join(XGBOOST_OBJECTIVES)}",
            )
        elif kind is not None and XGBOOST_OBJECTIVES[metric] != kind:
            r.add("objective.type", kind, f"{metric} is to be {XGBOOST_OBJECTIVES[metric]}d")
        return
    if metric not in {d.name for d in definitions}:
        r.add(
            "objective.metric",
            metric,
            "must be the name of one of metric_definitions (a custom image's "
            "metrics are read from its log with those regexes)",
        )
