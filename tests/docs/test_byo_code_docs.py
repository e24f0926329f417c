"""The CI setup page as a platform team follows it: the job snippets assume the roles the multi-account example
creates, with the audience and subject its trust expects; the trigger token's scope, expiry and rotation."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from sagemaker_platform.config import parse_config
from sagemaker_platform.constructs.ci_identities import GITHUB_AUDIENCE
from sagemaker_platform.stacks.ci import ci_role_name
from tests.support import REPO_ROOT

PAGE = (REPO_ROOT / "docs" / "capabilities" / "byo-code.md").read_text()


def section(title: str) -> str:
    start = PAGE.index(f"### {title}")
    end = PAGE.find("\n#", start + 1)
    return PAGE[start : end if end != -1 else None]


def first_yaml(text: str) -> dict[str, Any]:
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    loaded = yaml.safe_load(block.group(1))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def example() -> Any:
    return parse_config(yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text()))


def test_the_gitlab_job_asks_for_the_audience_and_assumes_the_role_the_example_trusts(example: Any) -> None:
    job = first_yaml(section("GitLab CI job"))["push-image"]
    gitlab = example.ci.gitlab
    # the audience the CiStack's trust requires: `audience`, defaulting to the url
    assert job["id_tokens"]["AWS_ID_TOKEN"]["aud"] == (gitlab.url if gitlab.audience is None else gitlab.audience)
    tooling = example.accounts.tooling
    assert job["variables"]["AWS_ROLE_ARN"] == f"arn:aws:iam::{tooling}:role/{ci_role_name(example.name, 'gitlab')}"
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in "\n".join(job["script"])
    assert "AWS_SECRET_ACCESS_KEY" not in PAGE and "AWS_ACCESS_KEY_ID" not in PAGE


def test_the_github_workflow_requests_the_token_and_assumes_the_role_the_example_trusts(example: Any) -> None:
    workflow = first_yaml(section("GitHub Actions workflow"))
    assert workflow["permissions"]["id-token"] == "write"
    steps = workflow["jobs"]["push-image"]["steps"]
    (configure,) = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
    tooling = example.accounts.tooling
    role = f"arn:aws:iam::{tooling}:role/{ci_role_name(example.name, 'github')}"
    assert configure["with"]["role-to-assume"] == role
    # the action's default audience is the one the role's trust requires
    assert "audience" not in configure["with"] and GITHUB_AUDIENCE == "sts.amazonaws.com"
    environment = workflow["jobs"]["push-image"]["environment"]
    assert any(environment in repo.environments for repo in example.ci.github.repositories)


def test_the_trigger_token_section_states_scope_expiry_and_the_rotation_steps() -> None:
    text = section("The GitLab pipeline trigger token")
    assert "Its scope:" in text and "does not expire" in text
    steps = re.findall(r"^\d\. ", text, re.M)
    assert len(steps) >= 3 and "put-secret-value" in text and "revoke the old token" in text
