"""What every stack of the reference app shares: its environment, name and tags from the platform config, where
the model registry lives (`RegistryHome`), and `CapabilityStack`, the one constructor of the capability stacks that
take the config and the access-log stack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.constructs.registry import RegistryLocation

if TYPE_CHECKING:  # the access-log stack is itself a tagged stack of this module's
    from sagemaker_platform.stacks.access_logs import AccessLogsStack

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


@dataclass(frozen=True)
class RegistryHome:
    """Where the central model registry lives, as every stack of the reference app names it.

    With `accounts`: the config's registry account and region. In the single-account sandbox the registry is in
    the deploying account and region: the `AWS::AccountId` and `AWS::Region` tokens, which resolve in each stack
    that uses them (the same tokens as an env-agnostic stack's `account` and `region`).
    """

    account: str
    """The registry's account id (a token in the sandbox)."""
    region: str
    """The registry's region (a token in the sandbox)."""
    named_account: str | None
    """The registry account when the config names one; None in the sandbox, for the props whose default is the
    construct's own account (`DeployPipeline` and `TuningPipeline` `registry_account`)."""

    @classmethod
    def of(cls, config: PlatformConfig) -> RegistryHome:
        """The registry's home under `config`."""
        if config.accounts is None:
            return cls(account=cdk.Aws.ACCOUNT_ID, region=cdk.Aws.REGION, named_account=None)
        return cls(account=config.accounts.registry, region=config.region, named_account=config.accounts.registry)

    def artifacts_bucket_name(self, platform_name: str) -> str:
        """The registry's model artifacts bucket (`naming.model_artifacts_bucket_name`)."""
        return naming.model_artifacts_bucket_name(platform_name, self.account, self.region)

    def model_package_group_arn(self, group: str) -> str:
        """The ARN of the registry's model package group `group`."""
        return f"arn:{cdk.Aws.PARTITION}:sagemaker:{self.region}:{self.account}:model-package-group/{group}"

    def location(self, platform_name: str, model_package_groups: Sequence[str]) -> RegistryLocation:
        """The registry as the workload-side constructs import it: this home with its group names."""
        return RegistryLocation(
            platform_name=platform_name,
            account=self.account,
            region=self.region,
            model_package_groups=tuple(model_package_groups),
        )


def stack_name(config: PlatformConfig, capability: str, account: AccountRole | None = None) -> str:
    """Deterministic stack names: `<name>-<capability>` (and `-<account role>` where one capability spans accounts)."""
    return f"{config.name}-{capability}" if account is None else f"{config.name}-{capability}-{account}"


def tag_platform(scope: cdk.Stack, config: PlatformConfig, capability: str) -> None:
    """Tags on every resource of a stack, for cost allocation and ownership."""
    cdk.Tags.of(scope).add("platform", config.name)
    cdk.Tags.of(scope).add("capability", capability)


class CapabilityStack(cdk.Stack):
    """A capability's stack whose props are the platform config and its account's access-log stack alone.

    Tags the stack with its `capability`, keeps `access_logs` and builds the capability in `_build`, which imports
    the log bucket with `shared_access_logs` where its first bucket needs it (the import is a construct: made
    earlier, it would move in the tree and change the template's CDK metadata).

    :param config: the platform config.
    :param access_logs: the server access log stack of this stack's account: its buckets log there. Default:
        none (each construct keeps a log bucket of its own).
    :param kwargs: the `cdk.Stack` props (`stack_name`, `env`, ...).
    """

    capability: ClassVar[str]
    """The `capability` tag of the stack's resources."""
    _build: Callable[[PlatformConfig], None]
    """Adds the capability's constructs: every subclass defines it (checked when the subclass is defined)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "_build", None)):
            raise TypeError(f"{cls.__name__} must define _build(self, config), which adds the capability's constructs")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PlatformConfig,
        access_logs: AccessLogsStack | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("description", self._description(config))
        super().__init__(scope, id, **kwargs)
        tag_platform(self, config, self.capability)
        self.access_logs = access_logs
        """The access-log stack of this stack's account, or None."""
        self._build(config)

    def _description(self, config: PlatformConfig) -> str | None:
        """The stack's description. Default: none."""
        return None
