"""The central model registry: model package groups, the artifacts bucket and key, approval forwarding, and
the registry roles of the workload accounts.

- `ModelPackageGroup` (`group`): one SageMaker model package group (L2 style, `IModelPackageGroup`) with a
  resource policy and `grant_read` / `grant_register` / `grant_approve` / `grant_deploy`;
  `from_model_package_group_arn` and `from_model_package_group_name` import one (e.g. the central
  registry's, from a workload account).
- `ModelArtifacts` (`artifacts`): where a group's artifacts live, and their identity-side grants.
- `ModelRegistry` (`model_registry`, registry account): the groups, a model artifacts bucket with its
  customer managed key (`artifacts_bucket`), and an EventBridge rule forwarding approved versions to the
  tooling account's bus (`forwarding`).
- `ModelEventsBus` (`forwarding`, tooling account): the bus receiving them, open only to the registry's
  forwarder role.
- `RegistryAccess` and the action lists (`access`); policy checks and cdk-nag acknowledgments (`policies`).
- `WorkloadAccess` and `RegistryLocation` (`workload_access`, `deploy_role`): the fixed-name roles of a
  workload account that reach the registry.

Metrics: SageMaker publishes no CloudWatch metrics for model package groups or model packages (the
model registry is a control-plane catalogue), so these constructs have no `metric_*` methods; watch the
"SageMaker Model Package State Change" events instead.

Example::

    registry = ModelRegistry(self, "Registry", platform_name="mlplatform", model_package_groups=["churn"])
    registry.add_access(
        iam.Role.from_role_arn(self, "DevStep", "arn:aws:iam::333333333333:role/mlplatform-pipeline-step"),
        RegistryAccess.REGISTER,
    )
"""

from sagemaker_platform.constructs.registry import access
from sagemaker_platform.constructs.registry.access import *  # noqa: F403 (the action lists and RegistryAccess)
from sagemaker_platform.constructs.registry.artifacts import ModelArtifacts, grant_artifacts
from sagemaker_platform.constructs.registry.forwarding import (
    MODEL_PACKAGE_STATE_CHANGE,
    SAGEMAKER_EVENT_SOURCE,
    ModelEventsBus,
    approval_event_pattern,
    forwarding_event_pattern,
)
from sagemaker_platform.constructs.registry.grants import grant_groups
from sagemaker_platform.constructs.registry.group import (
    IModelPackageGroup,
    ModelPackageGroup,
    ModelPackageGroupBase,
)
from sagemaker_platform.constructs.registry.model_registry import ModelRegistry
from sagemaker_platform.constructs.registry.policies import acknowledge_wildcard_resources, deployed_policy_size
from sagemaker_platform.constructs.registry.workload_access import RegistryLocation, WorkloadAccess

__all__ = [
    *access.__all__,
    "MODEL_PACKAGE_STATE_CHANGE",
    "SAGEMAKER_EVENT_SOURCE",
    "IModelPackageGroup",
    "ModelArtifacts",
    "ModelEventsBus",
    "ModelPackageGroup",
    "ModelPackageGroupBase",
    "ModelRegistry",
    "RegistryLocation",
    "WorkloadAccess",
    "acknowledge_wildcard_resources",
    "approval_event_pattern",
    "deployed_policy_size",
    "forwarding_event_pattern",
    "grant_artifacts",
    "grant_groups",
]
