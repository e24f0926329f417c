"""`PlatformConfig`: the whole platform config (cdk.json `context.platform`) and its `accounts`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, model_validator

from sagemaker_platform.config.base import AccountId, Items, OrganizationId, PlatformName, Region, StrictModel
from sagemaker_platform.config.checks import run_checks
from sagemaker_platform.config.ci import CiConfig
from sagemaker_platform.config.compliance import ComplianceConfig
from sagemaker_platform.config.deploy import DeployConfig
from sagemaker_platform.config.endpoints import EndpointConfig, _unique_endpoint_names, pinned_package_parts
from sagemaker_platform.config.gateway import GatewayConfig
from sagemaker_platform.config.images import ImagesConfig
from sagemaker_platform.config.instance_types import InstanceTypeConfig
from sagemaker_platform.config.lifecycle import LifecycleConfig
from sagemaker_platform.config.network import NetworkConfig
from sagemaker_platform.config.pipeline import PipelineConfig
from sagemaker_platform.config.registry import RegistryConfig
from sagemaker_platform.config.studio import StudioConfig
from sagemaker_platform.config.tuning import TuningLauncherConfig, TuningSpecs

# --- accounts -------------------------------------------------------------------------------


class AccountsConfig(StrictModel):
    """The AWS accounts of a multi-account deployment. Omit `accounts` for the single-account sandbox."""

    tooling: AccountId
    registry: AccountId
    dev: AccountId
    staging: AccountId
    prod: AccountId


class PlatformConfig(StrictModel):
    """The whole platform config (cdk.json `context.platform`)."""

    name: PlatformName = "mlplatform"
    accounts: AccountsConfig | None = None
    region: Region = "us-east-1"
    organization_id: OrganizationId | None = None
    studio: StudioConfig | None = None
    registry: RegistryConfig | None = None
    endpoints: Annotated[Items[EndpointConfig], AfterValidator(_unique_endpoint_names)] = ()
    tuning: TuningSpecs = ()
    tuning_launcher: TuningLauncherConfig | None = None
    pipeline: PipelineConfig | None = None
    gateway: GatewayConfig | None = None
    deploy: DeployConfig | None = None
    compliance: ComplianceConfig = ComplianceConfig()
    instance_types: Items[InstanceTypeConfig] = ()
    images: ImagesConfig | None = None
    ci: CiConfig | None = None
    lifecycle: LifecycleConfig | None = None
    network: NetworkConfig = NetworkConfig()

    @model_validator(mode="after")
    def _cross_section_checks(self) -> PlatformConfig:
        run_checks(self)
        return self

    def registry_group_of(self, entry: EndpointConfig) -> str | None:
        """The platform registry group an `endpoints` entry is fed by (a group, or a version pinned in one), if any.

        In the sandbox a pinned version counts as the platform's when its group is declared: the registry
        account is the deploying account, unknown until deployment.
        """
        if self.registry is None:
            return None
        if entry.model_package_group is not None:
            return entry.model_package_group
        if entry.model_package_arn is None or entry.model_artifacts_bucket is not None:
            return None
        _, account, group = pinned_package_parts(entry.model_package_arn)
        if self.accounts is not None and account != self.accounts.registry:
            return None
        return next((name for name in self.registry.model_package_groups if name.lower() == group.lower()), None)

    @property
    def is_sandbox(self) -> bool:
        """True for the single-account sandbox: no `accounts`, env-agnostic stacks."""
        return self.accounts is None
