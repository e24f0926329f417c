"""Access levels to the registry and the IAM actions of each, in one place for the capability."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "APPROVE_ACTIONS",
    "ARTIFACT_LIST_ACTIONS",
    "ARTIFACT_READ_ACTIONS",
    "ARTIFACT_WRITE_ACTIONS",
    "DEPLOY_ACTIONS",
    "GROUP_ACTIONS",
    "KEY_ADMIN_ACTIONS",
    "KEY_READ_ACTIONS",
    "KEY_WRITE_ACTIONS",
    "READ_ACTIONS",
    "REGISTER_ACTIONS",
    "REGISTER_CONDITIONS",
    "RegistryAccess",
]

READ_ACTIONS = (
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
)
"""Describe the group and its versions."""
REGISTER_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:AddTags")
"""Create a version (only as PendingManualApproval, see `REGISTER_CONDITIONS`) and tag it on creation."""
REGISTER_CONDITIONS: dict[str, dict[str, object]] = {
    "StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
}
"""A registrant may not approve its own version by registering it as Approved."""
APPROVE_ACTIONS = ("sagemaker:UpdateModelPackage",)
"""Set a version's approval status (and its approval description)."""
DEPLOY_ACTIONS = ("sagemaker:CreateModel",)
"""Create a SageMaker model from a version (with `READ_ACTIONS`)."""
ARTIFACT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
ARTIFACT_LIST_ACTIONS = ("s3:ListBucket",)
ARTIFACT_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
KEY_READ_ACTIONS = ("kms:Decrypt",)
KEY_WRITE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
)
"""What the administrators of the registry's keys may do (`ModelRegistry` `key_admins`)."""


class RegistryAccess(Enum):
    """What one role may do with the registry (`ModelRegistry.add_access`)."""

    READ = "read"
    """Describe groups and versions; read artifacts."""
    WRITE = "write"
    """READ, and write artifacts (e.g. a training job's execution role)."""
    REGISTER = "register"
    """WRITE, and create versions as PendingManualApproval."""
    APPROVE = "approve"
    """READ, and approve or reject versions."""
    DEPLOY = "deploy"
    """READ, and create SageMaker models from versions."""

    @property
    def writes_artifacts(self) -> bool:
        """The level writes model artifacts (WRITE, REGISTER)."""
        return self in (RegistryAccess.WRITE, RegistryAccess.REGISTER)


GROUP_ACTIONS: dict[RegistryAccess, tuple[str, ...]] = {
    RegistryAccess.READ: READ_ACTIONS,
    RegistryAccess.WRITE: READ_ACTIONS,
    RegistryAccess.REGISTER: READ_ACTIONS,
    RegistryAccess.APPROVE: READ_ACTIONS + APPROVE_ACTIONS,
    RegistryAccess.DEPLOY: READ_ACTIONS + DEPLOY_ACTIONS,
}
"""The group actions of each access level, beside REGISTER's conditional `REGISTER_ACTIONS`."""
