"""`StudioDomain`: a VPC-only SageMaker Studio domain with least-privilege roles, KMS, profiles at scale and teardown.

Production-grade take on the published "Studio domain with user profiles in CDK" sample:

- VPC-only network access, in a new isolated VPC with the interface endpoints Studio needs, or in an
  imported VPC; one security group that allows only NFS to the home file system, the Studio Classic
  app-to-app ports, and HTTPS out.
- A customer managed KMS key (rotation on) for the home EFS file system and the spaces' EBS volumes.
- A default execution role scoped to this domain (no AWS managed full-access policy), optional
  per-profile roles, and `grant_read_data` / `grant_read_write_data` for data access.
- Studio Classic images resolved per region *and* partition through a `CfnMapping`.
- Profiles sharded into nested stacks by a stable hash, so 2,000 users stay under CloudFormation's
  limits and adding or removing a user never moves another one.
- Clean removal: a removed user's apps and private spaces are deleted before the profile; with
  `removal_policy=DESTROY`, deleting the stack deletes the domain's apps, spaces, profiles, the
  domain, its home file system and SageMaker's two NFS security groups, in that order.

The package has one module per concern: `settings` (types, images, shard assignment), `actions` (IAM
actions), `base` (`IStudioDomain`, `StudioDomainBase`), `roles`, `network`, `user_settings`, `teardown`,
`profiles`, `validation`, `images`, `nag` and `domain` (`StudioDomain`). Import public names from here.
"""

from __future__ import annotations

from sagemaker_platform.constructs.studio.actions import (
    APP_ACTIONS,
    DATA_LIST_ACTIONS,
    DATA_READ_ACTIONS,
    DATA_READ_KEY_ACTIONS,
    DATA_WRITE_ACTIONS,
    DATA_WRITE_KEY_ACTIONS,
    DOMAIN_DESCRIBE_ACTIONS,
    KEY_USE_ACTIONS,
    LIST_ACTIONS,
    LOG_ACTIONS,
    OWN_PROJECT_PATTERN,
    PRESIGNED_URL_ACTIONS,
    PROFILE_DESCRIBE_ACTIONS,
    PROJECT_ACTIONS,
    PROJECT_LIST_ACTIONS,
    PROJECTS_ACCOUNT_ACTIONS,
    PROJECTS_PORTFOLIO_ACTIONS,
    SPACE_ACTIONS,
    TEARDOWN_EFS_DELETE_ACTIONS,
    TEARDOWN_EFS_DESCRIBE_ACTIONS,
    TEARDOWN_SAGEMAKER_ACTIONS,
    TEARDOWN_SG_ACTIONS,
)
from sagemaker_platform.constructs.studio.base import IStudioDomain, StudioDomainBase
from sagemaker_platform.constructs.studio.domain import StudioDomain
from sagemaker_platform.constructs.studio.settings import (
    DEFAULT_PROFILE_SHARDS,
    JUPYTER_SERVER_IMAGE,
    KERNEL_GATEWAY_IMAGE,
    PERSONAS,
    SHARED_NOTEBOOKS_PATTERN,
    STUDIO_IMAGE_ACCOUNTS,
    AuthMode,
    ClassicImages,
    Persona,
    StudioUser,
    profile_shard,
)

__all__ = [
    "APP_ACTIONS",
    "DATA_LIST_ACTIONS",
    "DATA_READ_ACTIONS",
    "DATA_READ_KEY_ACTIONS",
    "DATA_WRITE_ACTIONS",
    "DATA_WRITE_KEY_ACTIONS",
    "DEFAULT_PROFILE_SHARDS",
    "DOMAIN_DESCRIBE_ACTIONS",
    "JUPYTER_SERVER_IMAGE",
    "KERNEL_GATEWAY_IMAGE",
    "KEY_USE_ACTIONS",
    "LIST_ACTIONS",
    "LOG_ACTIONS",
    "OWN_PROJECT_PATTERN",
    "PERSONAS",
    "PRESIGNED_URL_ACTIONS",
    "PROFILE_DESCRIBE_ACTIONS",
    "PROJECTS_ACCOUNT_ACTIONS",
    "PROJECTS_PORTFOLIO_ACTIONS",
    "PROJECT_ACTIONS",
    "PROJECT_LIST_ACTIONS",
    "SHARED_NOTEBOOKS_PATTERN",
    "SPACE_ACTIONS",
    "STUDIO_IMAGE_ACCOUNTS",
    "TEARDOWN_EFS_DELETE_ACTIONS",
    "TEARDOWN_EFS_DESCRIBE_ACTIONS",
    "TEARDOWN_SAGEMAKER_ACTIONS",
    "TEARDOWN_SG_ACTIONS",
    "AuthMode",
    "ClassicImages",
    "IStudioDomain",
    "Persona",
    "StudioDomain",
    "StudioDomainBase",
    "StudioUser",
    "profile_shard",
]
