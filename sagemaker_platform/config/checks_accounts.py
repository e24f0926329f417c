"""Cross-section checks of the accounts and network: registry apart from the workloads, delivery pipeline
accounts, and where the platform's functions are placed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sagemaker_platform.config.base import field_problem
from sagemaker_platform.config.registry import WORKLOAD_ACCOUNT_ROLES

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig


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
