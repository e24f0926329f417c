"""The `pipeline` config section: only with `accounts`, source settings that fit the source."""

from __future__ import annotations

from typing import Any

import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import ConfigError
from tests.support import ACCOUNTS

CONNECTION = "arn:aws:codestar-connections:us-east-1:111111111111:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"pipeline": {"source": "codecommit", "repository": "platform"}},
            "`pipeline` = {",
        ),
        (
            {"accounts": ACCOUNTS, "pipeline": {"source": "connection", "repository": "org/platform"}},
            "`pipeline.connection_arn` = null: required when `source` is `connection`",
        ),
        (
            {"accounts": ACCOUNTS, "pipeline": {"source": "connection", "repository": "org/p", "connection_arn": "x"}},
            '`pipeline.connection_arn` = "x": must be a connection ARN',
        ),
        (
            {
                "accounts": ACCOUNTS,
                "pipeline": {"source": "connection", "repository": "p", "connection_arn": CONNECTION},
            },
            '`pipeline.repository` = "p": must be `owner/name`',
        ),
        (
            {
                "accounts": ACCOUNTS,
                "pipeline": {"source": "codecommit", "repository": "p", "connection_arn": CONNECTION},
            },
            '`pipeline.connection_arn` = "arn:aws:codestar-connections:',
        ),
        (
            {"accounts": ACCOUNTS, "pipeline": {"source": "codecommit", "repository": "org/p"}},
            '`pipeline.repository` = "org/p": must be a CodeCommit repository name',
        ),
        (
            {"accounts": ACCOUNTS, "pipeline": {"source": "s3", "repository": "p"}},
            "`pipeline.source` = \"s3\": Input should be 'connection' or 'codecommit'",
        ),
        (
            {"accounts": ACCOUNTS, "pipeline": {"source": "codecommit", "repository": "p", "branch": "a//b"}},
            '`pipeline.branch` = "a//b"',
        ),
    ],
)
def test_given_a_pipeline_mistake_when_parsed_then_one_problem_names_key_value_and_allowed(
    raw: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


def test_given_a_pipeline_without_accounts_then_the_message_says_it_needs_accounts() -> None:
    with pytest.raises(ConfigError, match="only valid with `accounts`"):
        parse_config({"pipeline": {"source": "codecommit", "repository": "platform"}})


def test_given_a_gitlab_subgroup_repository_over_a_connection_then_accepted_with_defaults() -> None:
    config = parse_config(
        {
            "accounts": ACCOUNTS,
            "pipeline": {"source": "connection", "repository": "group/sub/platform", "connection_arn": CONNECTION},
        }
    )
    assert config.pipeline is not None
    assert (config.pipeline.branch, config.pipeline.config_file, config.pipeline.diff_base) == ("main", None, None)
