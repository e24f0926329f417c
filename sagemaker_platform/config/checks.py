"""Cross-section checks of `PlatformConfig`: the rules that relate one config section to another.

Plain functions run in order by one model validator of `PlatformConfig` (`run_checks`), so each
rule is readable on its own; each raises `field_problem` naming the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sagemaker_platform.config.base import field_problem
from sagemaker_platform.config.endpoints import EndpointConfig, EndpointPlatformImageConfig, pinned_package_parts
from sagemaker_platform.config.gateway import check_gateway_endpoints
from sagemaker_platform.config.images import ImageRepositoryConfig, PlatformImageConfig
from sagemaker_platform.config.lifecycle import (
    LifecycleBuildConfig,
    LifecycleModelQualityConfig,
    LifecycleMonitorConfig,
    LifecyclePipelineConfig,
)
from sagemaker_platform.config.registry import WORKLOAD_ACCOUNT_ROLES
from sagemaker_platform.contracts.tuning_spec import PlatformImage

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig


def check_registry_accounts(config: PlatformConfig) -> None:
    """With `registry` and `accounts`: the registry is no workload account, and dev, staging, prod differ."""
    # Each workload account holds one set of the fixed-name registry roles, and the registry is kept
    # apart from the workloads it governs; the tooling account may host the registry.
    if config.registry is None or config.accounts is None:
        return
    accounts = config.accounts
    workloads = {role: getattr(accounts, role) for role in WORKLOAD_ACCOUNT_ROLES}
    for role, account in workloads.items():
        if account == accounts.registry:
            raise field_problem(
                f"accounts.{role}",
                account,
                "with `registry` set, the registry account must not be a workload account (dev, staging, "
                "prod); allowed: an account of its own, or the tooling account",
            )
    for index, role in enumerate(WORKLOAD_ACCOUNT_ROLES):
        for other in WORKLOAD_ACCOUNT_ROLES[index + 1 :]:
            if workloads[role] == workloads[other]:
                raise field_problem(
                    f"accounts.{other}",
                    workloads[other],
                    f"with `registry` set, dev, staging and prod must be three different accounts (each holds "
                    f"its own fixed-name registry roles); it equals `accounts.{role}`. For one account, omit "
                    "`accounts` (the sandbox)",
                )


def check_pipeline_needs_accounts(config: PlatformConfig) -> None:
    """`pipeline` (CDK Pipelines delivery) only with `accounts`: it deploys one stage per account."""
    if config.pipeline is not None and config.accounts is None:
        raise field_problem(
            "pipeline",
            config.pipeline.model_dump(),
            "only valid with `accounts`: the pipeline deploys one stage per account (tooling, registry, dev, "
            "staging, prod); the single-account sandbox is deployed with `cdk deploy`",
        )


def check_gateway_endpoints_exist(config: PlatformConfig) -> None:
    """Every endpoint the `gateway` calls is an `endpoints` entry."""
    if config.gateway is not None:
        check_gateway_endpoints(config.gateway, {endpoint.name for endpoint in config.endpoints})


def check_gateway_services_fit_their_endpoints(config: PlatformConfig) -> None:
    """Each `gateway.services` kind fits the mode of the endpoint it calls."""
    # An async service needs an async endpoint (its results reach the gateway's bucket and topic); a
    # real-time service calls InvokeEndpoint with no TargetModel: a real-time or serverless endpoint.
    if config.gateway is None:
        return
    modes = {entry.name: entry.mode for entry in config.endpoints}
    allowed = {"async": ("async",), "realtime": ("realtime", "serverless")}
    for index, service in enumerate(config.gateway.services):
        mode = modes.get(service.endpoint)
        if mode is not None and mode not in allowed[service.kind]:
            raise field_problem(
                f"gateway.services[{index}].kind",
                service.kind,
                f"endpoint {service.endpoint!r} has mode {mode!r}; a {service.kind} service needs an endpoint "
                f"of mode {' or '.join(allowed[service.kind])}",
            )


def check_pinned_packages_in_declared_groups(config: PlatformConfig) -> None:
    """A model package version pinned in the registry account belongs to a declared group, in its region."""
    # A version pinned in the registry account is granted through its group's policies; a group the
    # registry does not declare has none, and the hosting stack's CreateModel would be refused.
    if config.registry is None or config.accounts is None:
        return
    declared = {name.lower() for name in config.registry.model_package_groups}
    for index, entry in enumerate(config.endpoints):
        if entry.model_package_arn is None:
            continue
        region, account, group = pinned_package_parts(entry.model_package_arn)
        if account == config.accounts.registry and group.lower() not in declared:
            raise field_problem(
                f"endpoints[{index}].model_package_arn",
                entry.model_package_arn,
                f"group {group!r} is in the registry account but not in registry.model_package_groups "
                f"{list(config.registry.model_package_groups)}: declare it there, or pin a version of a declared "
                "group",
            )
        if account == config.accounts.registry and region != config.region:
            raise field_problem(
                f"endpoints[{index}].model_package_arn",
                entry.model_package_arn,
                f"the registry is in {config.region}; a version pinned in the registry account must be there too",
            )


def check_tuning_can_register(config: PlatformConfig) -> None:
    """With `tuning`, the dev account may register (`registry.register_from` includes dev)."""
    # The tuning pipeline (dev account) registers its best model through the dev pipeline-step role.
    tunes = bool(config.tuning) or config.tuning_launcher is not None
    if tunes and config.registry is not None and "dev" not in config.registry.register_from:
        raise field_problem(
            "registry.register_from",
            list(config.registry.register_from),
            "must include dev when `tuning` is set: the tuning pipeline registers its best model from the dev account",
        )


def check_warm_start_chains(config: PlatformConfig) -> None:
    """`tuning[i].warm_start.parent_spec` resolves at run time by spec name: the parent must be a spec of this
    config, and following parents must end (a cycle would wait forever for a first Completed run)."""
    parents = {
        spec.name: spec.warm_start.parent_spec
        for spec in config.tuning
        if spec.warm_start is not None and spec.warm_start.parent_spec is not None
    }
    names = [spec.name for spec in config.tuning]
    for index, spec in enumerate(config.tuning):
        parent = parents.get(spec.name)
        if parent is None:
            continue
        key = f"tuning[{index}].warm_start.parent_spec"
        if parent not in names:
            raise field_problem(key, parent, f"not a `tuning` spec; configured: {', '.join(names)}")
        chain = [spec.name]
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent)
        if parent is not None:
            cycle = " -> ".join([*chain[chain.index(parent) :], parent])
            raise field_problem(key, parents[spec.name], f"warm-start parents form a cycle: {cycle}")


def check_deploy_targets_exist(config: PlatformConfig) -> None:
    """Each `deploy.groups` entry names a registry group and `endpoints` entries fed by it."""
    # Each deployed group must be a registry group, and each of its endpoints an `endpoints` entry fed by it.
    if config.deploy is None:
        return
    groups_of = {entry.name: entry.model_package_group for entry in config.endpoints}
    for index, group in enumerate(config.deploy.groups):
        where = f"deploy.groups[{index}]"
        for endpoint in group.endpoints:
            if endpoint not in groups_of:
                known = ", ".join(sorted(groups_of)) or "none"
                raise field_problem(
                    f"{where}.endpoints", endpoint, f"no `endpoints` entry of that name; known: {known}"
                )
            if groups_of[endpoint] != group.model_package_group:
                raise field_problem(
                    f"{where}.endpoints",
                    endpoint,
                    f"the `endpoints` entry serves model_package_group {groups_of[endpoint]!r}, "
                    f"not {group.model_package_group!r}",
                )
        if config.registry is not None and group.model_package_group not in config.registry.model_package_groups:
            raise field_problem(
                f"{where}.model_package_group",
                group.model_package_group,
                "not a registry model package group; known: " + ", ".join(sorted(config.registry.model_package_groups)),
            )


def check_endpoint_instance_types(config: PlatformConfig) -> None:
    """`instance_types` entries and each endpoint's instance type pass the hosting catalog's rules."""
    # The hosting catalog's rules at config time, so a bad type stops synth naming the config key.
    from sagemaker_platform.instance_types import endpoint_instance_problem, instance_type_problem

    for index, declared in enumerate(config.instance_types):
        problem = instance_type_problem(declared)
        if problem is not None:
            raise field_problem(f"instance_types[{index}].name", declared.name, problem)
    for index, entry in enumerate(config.endpoints):
        if not isinstance(entry, EndpointConfig):  # a narrower entry model (tests of other sections)
            continue
        problem = endpoint_instance_problem(entry, config.instance_types)
        if problem is not None:
            raise field_problem(f"endpoints[{index}].instance_type", entry.instance_type, problem)


def check_platform_images_exist(config: PlatformConfig) -> None:
    """An endpoint image from a platform repository names an `images.repositories` entry."""
    known = _platform_repositories(config)
    for index, entry in enumerate(config.endpoints):
        if (
            isinstance(entry, EndpointConfig)
            and isinstance(entry.image, EndpointPlatformImageConfig)
            and entry.image.platform_repository not in known
        ):
            raise field_problem(
                f"endpoints[{index}].image.platform_repository",
                entry.image.platform_repository,
                "not an `images.repositories` entry; known: " + (", ".join(sorted(known)) or "none"),
            )


def check_tuning_images_pullable(config: PlatformConfig) -> None:
    """A tuning spec's or the launcher's `{platform_repository, tag}` names a repository whose policy lets the
    dev account's tuning training role pull (`pullers` has training, `pull_accounts` has dev)."""
    # Tuning runs in the dev account; build pipelines resolve their images per account and have no platform
    # image support yet, so a spec they tune with must not name one.
    known = _platform_repositories(config)
    used = [(f"tuning[{i}].image", s.image.repository) for i, s in enumerate(config.tuning) if _is_platform(s.image)]
    launcher = config.tuning_launcher
    if launcher is not None and isinstance(launcher.image, PlatformImageConfig):
        used.append(("tuning_launcher.image", launcher.image.platform_repository))
    for where, repository in used:
        entry = known.get(repository)
        if entry is None:
            raise field_problem(
                f"{where}.platform_repository",
                repository,
                "not an `images.repositories` entry; known: " + (", ".join(sorted(known)) or "none"),
            )
        if "training" not in entry.pullers or "dev" not in entry.pull_accounts:
            raise field_problem(
                f"{where}.platform_repository",
                repository,
                "tuning runs in the dev account with its training role: that repository's `pullers` must include "
                "training and its `pull_accounts` dev",
            )
    specs = {spec.name: spec for spec in config.tuning}
    for index, build in enumerate(config.lifecycle.build if config.lifecycle is not None else ()):
        if build.tuning in specs and _is_platform(specs[build.tuning].image):
            raise field_problem(
                f"lifecycle.build[{index}].tuning",
                build.tuning,
                "that spec's image names a platform repository, which build pipelines do not pull yet; "
                "give the spec an ECR URI or a built-in image",
            )


def _platform_repositories(config: PlatformConfig) -> dict[str, ImageRepositoryConfig]:
    return {repo.name: repo for repo in config.images.repositories} if config.images is not None else {}


def _is_platform(image: object) -> bool:
    return isinstance(image, PlatformImage)


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
            raise field_problem(
                f"{where}.endpoint",
                monitor.endpoint,
                "no `endpoints` entry of that name; known: " + (", ".join(sorted(capture)) or "none"),
            )
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


# In the order the model validators of `PlatformConfig` ran before the split: the first failing
# check raises, and tests assert which message wins.
def check_function_network(config: PlatformConfig) -> None:
    """`network.functions`: `studio` names the Studio domain's own VPC, which is in the dev account; per-account
    settings only where there are accounts."""
    functions = config.network.functions
    if functions is None:
        return
    if functions.accounts and config.accounts is None:
        raise field_problem(
            "network.functions.accounts",
            dict(functions.accounts),
            "per-account placement needs `accounts` (multi-account); in the sandbox use `network.functions.vpc`",
        )
    placements = {"vpc": functions.vpc, **{f"accounts.{role}": vpc for role, vpc in functions.accounts.items()}}
    for key, vpc in placements.items():
        if vpc != "studio":
            continue
        if config.studio is None or config.studio.vpc is not None:
            raise field_problem(
                f"network.functions.{key}",
                vpc,
                "`studio` places the functions in the VPC the platform creates for the Studio domain, so it needs a "
                "`studio` section without `studio.vpc`; for an existing VPC give its `subnet_ids` and "
                "`security_group_ids`",
            )
        gitlab = None if config.deploy is None else config.deploy.gitlab
        if config.accounts is None and gitlab is not None and gitlab.vpc is None:
            raise field_problem(
                f"network.functions.{key}",
                vpc,
                "the Studio VPC has no route out, and the GitLab trigger (`deploy.gitlab`) calls GitLab: give it "
                "`deploy.gitlab.vpc` (subnets with a route to GitLab), or keep the functions outside (`none`)",
            )
        if config.accounts is not None and key != "accounts.dev":
            raise field_problem(
                f"network.functions.{key}",
                vpc,
                "the Studio VPC is in the dev account: in a multi-account config allowed only as "
                "`network.functions.accounts.dev`; give every other account its own `subnet_ids` and "
                "`security_group_ids`, or `none`",
            )


CHECKS: tuple[Callable[[PlatformConfig], None], ...] = (
    check_function_network,
    check_registry_accounts,
    check_pipeline_needs_accounts,
    check_gateway_endpoints_exist,
    check_gateway_services_fit_their_endpoints,
    check_pinned_packages_in_declared_groups,
    check_tuning_can_register,
    check_warm_start_chains,
    check_deploy_targets_exist,
    check_endpoint_instance_types,
    check_platform_images_exist,
    check_tuning_images_pullable,
    check_lifecycle_fits_the_registry,
    check_build_tuning_specs,
    check_monitor_baselines,
    check_model_quality_baselines,
    check_monitors_watch_capturing_endpoints,
    check_schedules_start_platform_pipelines,
)


def run_checks(config: PlatformConfig) -> None:
    """Run every cross-section check on a parsed `PlatformConfig`, in order; the first problem raises."""
    for check in CHECKS:
        check(config)
