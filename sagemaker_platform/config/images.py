"""The `images` section: ECR repositories for platform container images, shared with named pullers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, field_problem, first_repeated
from sagemaker_platform.config.registry import WorkloadAccountRole

ImageAccountRole = Literal["tooling", "registry"]
ImagePuller = Literal["endpoints", "training", "pipeline"]
ECR_REPOSITORY_NAME_PATTERN = r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$"


class PlatformImageConfig(StrictModel):
    """`image: {platform_repository, tag}` of an endpoint or of the tuning launcher: an image in one of the
    platform's own ECR repositories (`images.repositories`); the role that runs it is let in by the repository
    policy and its own policy."""

    platform_repository: Annotated[str, Field(pattern=ECR_REPOSITORY_NAME_PATTERN, max_length=100)]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]


class ImageRepositoryConfig(StrictModel):
    """`images.repositories[]`: one ECR repository, `<platform>/<name>`."""

    name: Annotated[str, Field(pattern=ECR_REPOSITORY_NAME_PATTERN, max_length=100)]
    pull_accounts: Annotated[Items[WorkloadAccountRole], Field(min_length=1)] = ("dev", "staging", "prod")
    """Workload accounts whose named roles may pull. Default: dev, staging and prod."""
    pullers: Annotated[Items[ImagePuller], Field(min_length=1)] = ("endpoints", "training", "pipeline")
    """Which named roles of those accounts pull: `endpoints` (the execution roles of the `endpoints` entries
    that name this repository), `training` (`<name>-sagemaker-execution`), `pipeline` (`<name>-pipeline-step`).
    Default: all three."""
    keep_tagged: Annotated[int, Field(ge=1, le=10000)] = 100
    """Lifecycle: the newest tagged images kept. Default: 100."""
    untagged_days: Annotated[int, Field(ge=1, le=3650)] = 7
    """Lifecycle: untagged images (layers of overwritten builds) expire after these days. Default: 7."""


class ImagesConfig(StrictModel):
    """`images`: the platform's ECR repositories for custom training and inference images."""

    account: ImageAccountRole = "tooling"
    """Where the repositories live. Default: tooling (deployed first, with the deploy identities)."""
    repositories: Annotated[Items[ImageRepositoryConfig], Field(min_length=1)]
    removal_policy: Literal["retain", "destroy"] = "retain"

    @model_validator(mode="after")
    def _unique(self) -> ImagesConfig:
        repeated = first_repeated([repo.name for repo in self.repositories])
        if repeated is not None:
            raise field_problem("repositories", repeated, "each repository name may be used once")
        return self
