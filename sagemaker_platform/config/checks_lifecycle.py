"""Cross-section checks of `lifecycle`: pipelines against the registry, monitors against capturing endpoints
and the baselines they read, schedules against the pipelines they start; and the lookups the lifecycle stack
shares with them (which build a monitor's baselines come from)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sagemaker_platform.config.base import field_problem
from sagemaker_platform.config.checks_serving import unknown_endpoint
from sagemaker_platform.config.lifecycle import (
    LifecycleBuildConfig,
    LifecycleModelQualityConfig,
    LifecycleMonitorConfig,
    LifecyclePipelineConfig,
)

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig


def check_lifecycle_fits_the_registry(config: PlatformConfig) -> None:
    """`lifecycle` pipelines read declared registry groups; build pipelines run where roles may register."""
    # Build pipelines register through their account's pipeline-step role: only an account in
    # `registry.register_from` may hold one; both kinds read a registry group.
    if config.lifecycle is None:
        return
    entries: list[tuple[str, int, LifecyclePipelineConfig]] = [
        ("build", index, entry) for index, entry in enumerate(config.lifecycle.build)
    ]
    entries += [("batch", index, entry) for index, entry in enumerate(config.lifecycle.batch)]
    if entries and config.registry is None:
        raise field_problem("lifecycle", "...", "needs `registry`: the lifecycle pipelines use its groups")
    for kind, index, entry in entries:
        assert config.registry is not None
        if entry.model_package_group not in config.registry.model_package_groups:
            raise field_problem(
                f"lifecycle.{kind}[{index}].model_package_group",
                entry.model_package_group,
                "not a registry model package group; known: " + ", ".join(sorted(config.registry.model_package_groups)),
            )
        if kind == "build" and not config.is_sandbox and entry.account not in config.registry.register_from:
            raise field_problem(
                f"lifecycle.build[{index}].account",
                entry.account,
                "a build pipeline registers models, but this account's roles may not register; allowed: "
                + ", ".join(config.registry.register_from)
                + " (`registry.register_from`)",
            )


def check_monitors_watch_capturing_endpoints(config: PlatformConfig) -> None:
    """`lifecycle.monitoring` watches capturing endpoints; a drift retrain is a build pipeline that may register."""
    # A monitor reads the endpoint's captured data; a drift retrain registers, so it runs where roles may.
    if config.lifecycle is None:
        return
    capture = {entry.name: entry.data_capture_percent for entry in config.endpoints}
    for index, monitor in enumerate(config.lifecycle.monitoring):
        where = f"lifecycle.monitoring[{index}]"
        if monitor.endpoint not in capture:
            raise unknown_endpoint(f"{where}.endpoint", monitor.endpoint, capture)
        if capture[monitor.endpoint] is None:
            raise field_problem(
                f"{where}.endpoint",
                monitor.endpoint,
                "the endpoint captures no data; set its `data_capture_percent` (1-100)",
            )
        retrain = monitor.retrain_pipeline_name
        if retrain is None:
            continue
        if config.registry is not None and not config.is_sandbox and monitor.stage not in config.registry.register_from:
            raise field_problem(
                f"{where}.retrain_pipeline_name",
                retrain,
                f"drift retraining would run in {monitor.stage}, whose roles may not register the retrained "
                f"model (`registry.register_from` = {list(config.registry.register_from)}); drop it, or let "
                f"{monitor.stage} register",
            )
        builds = [b.name for b in config.lifecycle.build if config.is_sandbox or b.account == monitor.stage]
        if retrain not in builds:
            raise field_problem(
                f"{where}.retrain_pipeline_name",
                retrain,
                f"not a `lifecycle.build` pipeline in {monitor.stage}; known: " + (", ".join(builds) or "none"),
            )


def check_build_tuning_specs(config: PlatformConfig) -> None:
    """`lifecycle.build[i].tuning` names a `tuning` spec whose warm start needs no run-time resolution."""
    if config.lifecycle is None:
        return
    specs = {spec.name: spec for spec in config.tuning}
    for index, build in enumerate(config.lifecycle.build):
        if build.tuning is None:
            continue
        key = f"lifecycle.build[{index}].tuning"
        spec = specs.get(build.tuning)
        if spec is None:
            raise field_problem(key, build.tuning, "not a `tuning` spec; configured: " + (", ".join(specs) or "none"))
        if spec.warm_start is not None and spec.warm_start.parent_spec is not None:
            raise field_problem(
                key,
                build.tuning,
                "its warm_start.parent_spec is resolved by the tuning pipeline at run time, not in a build pipeline; "
                "name the parent jobs (warm_start.parents) or use another spec",
            )


def _monitored_group_builds(config: PlatformConfig, monitor: LifecycleMonitorConfig) -> list[LifecycleBuildConfig]:
    """The build pipelines of the monitored endpoint's group (none when the monitor takes no baseline)."""
    if config.lifecycle is None or monitor.baseline is False:
        return []
    group = next((entry.model_package_group for entry in config.endpoints if entry.name == monitor.endpoint), None)
    return [b for b in config.lifecycle.build if b.model_package_group == group]


def monitor_baseline_build(config: PlatformConfig, monitor: LifecycleMonitorConfig) -> LifecycleBuildConfig | None:
    """The build pipeline whose registered data quality baseline a monitor checks against, or None."""
    return next((b for b in _monitored_group_builds(config, monitor) if b.baseline), None)


def monitor_model_quality_build(config: PlatformConfig, monitor: LifecycleMonitorConfig) -> LifecycleBuildConfig | None:
    """The build pipeline whose model quality baseline a monitor's `model_quality` job checks against, or None."""
    if monitor.model_quality is None:
        return None
    return next((b for b in _monitored_group_builds(config, monitor) if b.model_quality_baseline), None)


def build_model_quality(config: PlatformConfig, build: LifecycleBuildConfig) -> LifecycleModelQualityConfig | None:
    """The `model_quality` settings of the monitors that read `build`'s model quality baseline (they agree:
    `check_model_quality_baselines`), or None: no monitor reads one, the build computes none."""
    if config.lifecycle is None:
        return None
    for monitor in config.lifecycle.monitoring:
        reads = monitor_model_quality_build(config, monitor)
        if reads is not None and reads.name == build.name:
            return monitor.model_quality
    return None


def check_model_quality_baselines(config: PlatformConfig) -> None:
    """A build's model quality baseline scores its CSV test split, for monitors that agree on what it computes."""
    if config.lifecycle is None:
        return
    monitoring = config.lifecycle.monitoring
    for index, build in enumerate(config.lifecycle.build):
        readers = []
        for position, monitor in enumerate(monitoring):
            reads = monitor_model_quality_build(config, monitor)
            if reads is not None and reads.name == build.name and monitor.model_quality is not None:
                readers.append((position, monitor.model_quality))
        if not readers:
            continue
        if "text/csv" not in build.content_types or "text/csv" not in build.response_types:
            raise field_problem(
                f"lifecycle.build[{index}].content_types",
                list(build.content_types),
                "text/csv in content_types and response_types: the model quality baseline scores the CSV test split "
                "(or set model_quality_baseline: false)",
            )
        first_position, first = readers[0]
        for position, quality in readers[1:]:
            if (quality.problem_type, quality.probability_threshold) != (
                first.problem_type,
                first.probability_threshold,
            ):
                raise field_problem(
                    f"lifecycle.monitoring[{position}].model_quality.problem_type",
                    quality.problem_type,
                    f"the monitors of {build.model_package_group!r} read one model quality baseline "
                    f"(lifecycle.build[{index}]): the problem_type and probability_threshold of "
                    f"lifecycle.monitoring[{first_position}]",
                )


def check_monitor_baselines(config: PlatformConfig) -> None:
    """`lifecycle.monitoring[i].baseline: true` needs a build pipeline of the endpoint's group that baselines."""
    if config.lifecycle is None:
        return
    for index, monitor in enumerate(config.lifecycle.monitoring):
        if monitor.baseline and monitor_baseline_build(config, monitor) is None:
            raise field_problem(
                f"lifecycle.monitoring[{index}].baseline",
                True,
                f"no `lifecycle.build` pipeline with `baseline: true` registers the model package group of "
                f"{monitor.endpoint!r}; add one, or set baseline: false",
            )


def check_schedules_start_platform_pipelines(config: PlatformConfig) -> None:
    """`deploy.schedules` start `lifecycle` pipelines of their account; a retrain target is a build pipeline."""
    # With `lifecycle`, a schedule starts a pipeline the app creates in the schedule's account, and a retrain
    # target is a build pipeline there; a retrain target must be in an account whose roles may register.
    if config.deploy is None:
        return
    for index, schedule in enumerate(config.deploy.schedules):
        where = f"deploy.schedules[{index}]"
        retrain = schedule.retrain_pipeline_name
        if (
            retrain is not None
            and config.registry is not None
            and not config.is_sandbox
            and schedule.account not in config.registry.register_from
        ):
            raise field_problem(
                f"{where}.retrain_pipeline_name",
                retrain,
                f"retraining runs in {schedule.account}, whose roles may not register the retrained model "
                f"(`registry.register_from` = {list(config.registry.register_from)}); schedule the retraining in "
                "an account that registers, or drop retrain_pipeline_name",
            )
        if config.lifecycle is None:
            continue
        pipelines = config.lifecycle.pipelines_in(schedule.account)
        if config.is_sandbox:
            pipelines = {entry.name: kind for kind in ("build", "batch") for entry in getattr(config.lifecycle, kind)}
        if schedule.pipeline_name not in pipelines:
            raise field_problem(
                f"{where}.pipeline_name",
                schedule.pipeline_name,
                f"no `lifecycle` pipeline of that name in {schedule.account}; known: "
                + (", ".join(sorted(pipelines)) or "none"),
            )
        if retrain is not None and pipelines.get(retrain) != "build":
            builds = sorted(name for name, kind in pipelines.items() if kind == "build")
            raise field_problem(
                f"{where}.retrain_pipeline_name",
                retrain,
                f"not a `lifecycle.build` pipeline in {schedule.account}; known: " + (", ".join(builds) or "none"),
            )
