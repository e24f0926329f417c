"""Cross-section checks of serving: the gateway's endpoints, pinned registry versions, deploy groups and
endpoint instance types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

from sagemaker_platform.config.base import field_problem
from sagemaker_platform.config.endpoints import EndpointConfig, pinned_package_parts
from sagemaker_platform.config.gateway import check_gateway_endpoints

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig


def unknown_endpoint(key: str, name: str, known: Iterable[str]) -> PydanticCustomError:
    """The problem of a key naming an `endpoints` entry that does not exist, listing the `known` names."""
    return field_problem(key, name, "no `endpoints` entry of that name; known: " + (", ".join(sorted(known)) or "none"))


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


def check_deploy_targets_exist(config: PlatformConfig) -> None:
    """Each `deploy.groups` entry names a registry group and `endpoints` entries fed by it."""
    groups_of = {entry.name: entry.model_package_group for entry in config.endpoints}
    for index, group in enumerate(config.deploy.groups if config.deploy is not None else ()):
        where = f"deploy.groups[{index}]"
        for endpoint in group.endpoints:
            if endpoint not in groups_of:
                raise unknown_endpoint(f"{where}.endpoints", endpoint, groups_of)
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
