"""What every stack of the reference app shares: its environment and tags, from the platform config."""

from __future__ import annotations

from typing import Literal

import aws_cdk as cdk

from sagemaker_platform.config import PlatformConfig

AccountRole = Literal["tooling", "registry", "dev", "staging", "prod"]
Phase = Literal["identities", "resources"]
"""When a stack deploys in its account: `identities` (roles that other accounts' policies name and that name
nothing themselves) before everything else, `resources` in the platform's deploy order (see `build_platform`)."""


def stack_env(config: PlatformConfig, account: AccountRole) -> cdk.Environment | None:
    """The environment of a stack that belongs in `account`.

    None (an env-agnostic stack) for the single-account sandbox, so `cdk synth` needs no account.
    """
    if config.accounts is None:
        return None
    return cdk.Environment(account=getattr(config.accounts, account), region=config.region)


def stack_name(config: PlatformConfig, capability: str, account: AccountRole | None = None) -> str:
    """Deterministic stack names: `<name>-<capability>` (and `-<account role>` where one capability spans accounts)."""
    return f"{config.name}-{capability}" if account is None else f"{config.name}-{capability}-{account}"


def tag_platform(scope: cdk.Stack, config: PlatformConfig, capability: str) -> None:
    """Tags on every resource of a stack, for cost allocation and ownership."""
    cdk.Tags.of(scope).add("platform", config.name)
    cdk.Tags.of(scope).add("capability", capability)
