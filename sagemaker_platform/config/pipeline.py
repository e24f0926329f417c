"""The `pipeline` section: delivery of the platform itself with CDK Pipelines."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sagemaker_platform.config.base import StrictModel, field_problem

CONNECTION_ARN_PATTERN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
# CodeCommit repository names; "owner/name" (GitHub) or "group[/subgroup]/name" (GitLab) for connections.
CODECOMMIT_REPOSITORY_PATTERN = re.compile(r"^[\w.-]{1,100}$")
CONNECTION_REPOSITORY_PATTERN = re.compile(r"^[\w.-]+(/[\w.-]+)+$")
# Segments of letters, digits, `_`, `.`, `-` separated by single `/` (git check-ref-format, simplified).
GIT_BRANCH_PATTERN = re.compile(r"^[\w-][\w.-]*(/[\w-][\w.-]*)*$")


class PipelineConfig(StrictModel):
    """`pipeline`: the CDK Pipelines stack in the tooling account that deploys every account's stacks.

    Only valid with `accounts`. Source: a CodeStar (CodeConnections) connection to GitHub or GitLab,
    or a CodeCommit repository.
    """

    source: Literal["connection", "codecommit"]
    repository: Annotated[str, Field(min_length=1, max_length=200)]
    """`owner/name` (GitHub) or `group/name` (GitLab) for a connection; the repository name for CodeCommit."""
    branch: Annotated[str, Field(pattern=GIT_BRANCH_PATTERN.pattern)] = "main"
    connection_arn: str | None = None
    """The CodeStar connection's ARN (required for `source: connection`, refused for CodeCommit)."""
    config_file: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """This config's path in the repository, passed to synth as `-c config=...`. Default: cdk.json's `platform`."""
    diff_base: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Git ref the pipeline's synth-and-diff compares with. Default: the last commit the pipeline deployed."""

    @model_validator(mode="after")
    def _source_settings(self) -> PipelineConfig:
        if self.source == "connection":
            if self.connection_arn is None:
                raise field_problem("connection_arn", None, "required when `source` is `connection`")
            if not CONNECTION_ARN_PATTERN.match(self.connection_arn):
                raise field_problem(
                    "connection_arn",
                    self.connection_arn,
                    "must be a connection ARN like arn:aws:codeconnections:<region>:<account>:connection/<uuid>",
                )
            if not CONNECTION_REPOSITORY_PATTERN.match(self.repository):
                raise field_problem("repository", self.repository, "must be `owner/name` (or `group/subgroup/name`)")
        else:
            if self.connection_arn is not None:
                raise field_problem("connection_arn", self.connection_arn, "only valid with `source: connection`")
            if not CODECOMMIT_REPOSITORY_PATTERN.match(self.repository):
                raise field_problem(
                    "repository", self.repository, "must be a CodeCommit repository name (letters, digits, . _ -)"
                )
        return self
