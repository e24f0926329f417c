"""The CI examples run the tests everywhere and synth-and-diff against the target branch on merge requests."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support import REPO_ROOT


def scripts(job: dict[str, Any]) -> str:
    steps = job.get("steps", [])
    return "\n".join([*(step.get("run", "") for step in steps), *job.get("script", [])])


def test_given_the_github_workflow_then_tests_run_and_pull_requests_get_a_full_history_diff() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    jobs = workflow["jobs"]
    assert "make test" in scripts(jobs["test"])
    diff = jobs["synth-diff"]
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert "make diff BASE=origin/${{ github.base_ref }} FORMAT=markdown OUTPUT=synthdiff.md" in scripts(diff)
    assert diff["steps"][0]["with"]["fetch-depth"] == 0
    assert "gh pr comment" in scripts(diff) and "--body-file synthdiff.md" in scripts(diff)


def test_given_the_gitlab_pipeline_then_tests_run_and_merge_requests_get_a_full_history_diff() -> None:
    pipeline = yaml.safe_load((REPO_ROOT / ".gitlab-ci.yml").read_text())
    assert "make test" in scripts(pipeline["test"])
    diff = pipeline["synth-diff"]
    assert diff["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert diff["variables"]["GIT_DEPTH"] == "0"
    assert 'make diff BASE="origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" FORMAT=markdown' in scripts(diff)
    assert "merge_requests/$CI_MERGE_REQUEST_IID/notes" in "\n".join(diff["after_script"])
