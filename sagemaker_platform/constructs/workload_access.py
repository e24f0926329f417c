"""Former module path of `WorkloadAccess` and `RegistryLocation`, kept so that existing imports keep working.

They live in `sagemaker_platform.constructs.registry.workload_access` (the deploy role's statements in
`sagemaker_platform.constructs.registry.deploy_role`).
"""

from sagemaker_platform.constructs.registry.deploy_role import (
    DEPLOY_ALARM_ACTIONS,
    DEPLOY_AUTOSCALING_ACTIONS,
    DEPLOY_AUTOSCALING_DESCRIBE_ACTIONS,
    DEPLOY_KEY_ACTIONS,
    DEPLOY_KEY_GRANT_ACTIONS,
    DEPLOY_PARAMETER_ACTIONS,
    DEPLOY_SAGEMAKER_ACTIONS,
    DEPLOY_SMOKE_TEST_ACTIONS,
    SAGEMAKER_AUTOSCALING_SLR,
    SAGEMAKER_PRINCIPAL,
    SAGEMAKER_SCALABLE_DIMENSIONS,
)
from sagemaker_platform.constructs.registry.workload_access import JOB_LOG_ACTIONS, RegistryLocation, WorkloadAccess

__all__ = [
    "DEPLOY_ALARM_ACTIONS",
    "DEPLOY_AUTOSCALING_ACTIONS",
    "DEPLOY_AUTOSCALING_DESCRIBE_ACTIONS",
    "DEPLOY_KEY_ACTIONS",
    "DEPLOY_KEY_GRANT_ACTIONS",
    "DEPLOY_PARAMETER_ACTIONS",
    "DEPLOY_SAGEMAKER_ACTIONS",
    "DEPLOY_SMOKE_TEST_ACTIONS",
    "JOB_LOG_ACTIONS",
    "SAGEMAKER_AUTOSCALING_SLR",
    "SAGEMAKER_PRINCIPAL",
    "SAGEMAKER_SCALABLE_DIMENSIONS",
    "RegistryLocation",
    "WorkloadAccess",
]
