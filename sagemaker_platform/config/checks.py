"""Cross-section checks of `PlatformConfig`: the rules that relate one config section to another.

Plain functions run in order by one model validator of `PlatformConfig` (`run_checks`), so each
rule is readable on its own; each raises `field_problem` naming the key. The rules live in one module
per concern (`checks_accounts`, `checks_serving`, `checks_images`, `checks_tuning`, `checks_lifecycle`);
this module orders them and keeps the lookups the stacks use importable from here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sagemaker_platform.config.checks_accounts import (
    check_function_network,
    check_pipeline_needs_accounts,
    check_registry_accounts,
)
from sagemaker_platform.config.checks_images import check_platform_images_exist, check_tuning_images_pullable
from sagemaker_platform.config.checks_lifecycle import (
    build_model_quality,
    check_build_tuning_specs,
    check_lifecycle_fits_the_registry,
    check_model_quality_baselines,
    check_monitor_baselines,
    check_monitors_watch_capturing_endpoints,
    check_schedules_start_platform_pipelines,
    monitor_baseline_build,
    monitor_model_quality_build,
)
from sagemaker_platform.config.checks_serving import (
    check_deploy_targets_exist,
    check_endpoint_instance_types,
    check_gateway_endpoints_exist,
    check_gateway_services_fit_their_endpoints,
    check_pinned_packages_in_declared_groups,
)
from sagemaker_platform.config.checks_tuning import check_tuning_can_register, check_warm_start_chains

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig

__all__ = ["CHECKS", "build_model_quality", "monitor_baseline_build", "monitor_model_quality_build", "run_checks"]


# In the order the model validators of `PlatformConfig` ran before the split: the first failing
# check raises, and tests assert which message wins.
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
