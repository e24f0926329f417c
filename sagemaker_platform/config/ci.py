"""The `ci` section: OIDC identities for GitLab and GitHub CI."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, field_problem

GIT_REF_PATTERN = r"^[A-Za-z0-9._/-]{1,255}$"
OIDC_PROVIDER_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/[A-Za-z0-9._/-]+$"


class CiGitLabProjectConfig(StrictModel):
    """`ci.gitlab.projects[]`: a GitLab project whose CI jobs may assume the GitLab CI role."""

    path: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", max_length=255)]
    """`group/project` (or `group/subgroup/project`)."""
    branches: Annotated[Items[Annotated[str, Field(pattern=GIT_REF_PATTERN)]], Field(min_length=1)] = ("main",)
    """Protected branches whose jobs may assume the role (the `sub` claim's `ref_type:branch:ref:`). Default: main."""


class CiGitLabConfig(StrictModel):
    """`ci.gitlab`: GitLab CI/CD (gitlab.com or self-managed) as an IAM OIDC identity provider."""

    url: Annotated[str, Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")] = "https://gitlab.com"
    """The GitLab instance (its `iss` claim). Default: https://gitlab.com."""
    audience: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """The `aud` the jobs' `id_tokens` ask for. Default: the URL."""
    projects: Annotated[Items[CiGitLabProjectConfig], Field(min_length=1)]
    existing_provider_arn: Annotated[str, Field(pattern=OIDC_PROVIDER_ARN_PATTERN)] | None = None
    """The account's provider for this URL, when it already has one (IAM holds one per URL). Default: a new one."""


class CiGitHubRepositoryConfig(StrictModel):
    """`ci.github.repositories[]`: a GitHub repository whose workflows may assume the GitHub Actions role."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", max_length=200)]
    """`owner/repository`."""
    branches: Items[Annotated[str, Field(pattern=GIT_REF_PATTERN)]] = ("main",)
    """Branches (`sub` = `repo:<name>:ref:refs/heads/<branch>`). Default: main."""
    environments: Items[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]] = ()
    """GitHub environments (`sub` = `repo:<name>:environment:<env>`), e.g. one with required reviewers.
    Default: none."""

    @model_validator(mode="after")
    def _some_subject(self) -> CiGitHubRepositoryConfig:
        if not self.branches and not self.environments:
            raise field_problem("branches", [], "give at least one branch or environment")
        return self


class CiGitHubConfig(StrictModel):
    """`ci.github`: GitHub Actions as an IAM OIDC identity provider."""

    repositories: Annotated[Items[CiGitHubRepositoryConfig], Field(min_length=1)]
    existing_provider_arn: Annotated[str, Field(pattern=OIDC_PROVIDER_ARN_PATTERN)] | None = None
    """The account's token.actions.githubusercontent.com provider, when it already has one. Default: a new one."""


class CiConfig(StrictModel):
    """`ci`: OIDC identities for CI (tooling account); no IAM user or access key anywhere."""

    gitlab: CiGitLabConfig | None = None
    github: CiGitHubConfig | None = None
    cdk_qualifier: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,10}$")] = "hnb659fds"
    """The CDK bootstrap qualifier of the platform's accounts (the lookup roles `cdk diff` assumes)."""

    @model_validator(mode="after")
    def _some_provider(self) -> CiConfig:
        if self.gitlab is None and self.github is None:
            raise field_problem("ci", {}, "give gitlab and/or github")
        return self
