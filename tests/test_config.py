"""The platform config: every mistake stops synth with one message naming the key, the value and what is allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sagemaker_platform.config import config_from_context, load_config_file, parse_config
from sagemaker_platform.errors import ConfigError
from tests.support import ACCOUNTS, REPO_ROOT, default_config_raw


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return list(caught.value.problems)


def test_given_the_default_cdk_json_config_when_parsed_then_it_is_the_env_agnostic_sandbox() -> None:
    config = parse_config(default_config_raw())
    assert config.is_sandbox
    assert config.accounts is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"regoin": "us-east-1"}, "`platform`: unknown key(s) 'regoin'; allowed keys: accounts,"),
        ({"studio": {"userz": []}}, "`studio`: unknown key(s) 'userz'; allowed keys: auth,"),
        (
            {"studio": {"idle_shutdown_minutes": "60"}},
            '`studio.idle_shutdown_minutes` = "60": Input should be a valid integer',
        ),
        (
            {"studio": {"notebook_output_sharing": 1}},
            "`studio.notebook_output_sharing` = 1: Input should be a valid boolean",
        ),
        ({"region": "us-east-9"}, '`region` = "us-east-9": unknown region; allowed: af-south-1,'),
        ({"accounts": {**ACCOUNTS, "dev": "12345"}}, '`accounts.dev` = "12345": must be a 12-digit AWS account id'),
        ({"accounts": {k: v for k, v in ACCOUNTS.items() if k != "prod"}}, "`accounts.prod`: required key is missing"),
        ({"studio": {"users": ["alice", "bob", "alice"]}}, '`studio.users` = "alice": duplicate user'),
        (
            {"studio": {"users": ["al ice"]}},
            '`studio.users[0]` = "al ice": must match SageMaker\'s UserProfileName pattern',
        ),
        ({"studio": {"auth": "LDAP"}}, "`studio.auth` = \"LDAP\": Input should be 'IAM' or 'SSO'"),
        ({"organization_id": "org-1"}, '`organization_id` = "org-1": must be an AWS Organizations id'),
        ({"name": "ML_Platform"}, '`name` = "ML_Platform": must start with a lowercase letter'),
        (
            {"name": "a" * 21},
            f'`name` = "{"a" * 21}": must start with a lowercase letter and contain only lowercase letters, digits '
            "and '-', at most 20 characters",
        ),
    ],
)
def test_given_a_config_mistake_when_parsed_then_one_problem_names_key_value_and_allowed(
    raw: dict[str, Any], expected: str
) -> None:
    problems = problems_of(raw)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


def test_given_several_mistakes_when_parsed_then_all_are_reported_in_one_error() -> None:
    problems = problems_of({"region": "mars-1", "studio": {"auth": "LDAP"}})
    assert len(problems) == 2


def test_given_a_yaml_file_when_loaded_then_it_validates_like_context(tmp_path: Path) -> None:
    file = tmp_path / "platform.yaml"
    file.write_text("name: team-a\nstudio:\n  users: [carol]\n")
    config = load_config_file(file)
    assert config.name == "team-a"
    assert config.studio is not None and config.studio.users[0].name == "carol"


def test_given_a_json_file_with_a_mistake_when_loaded_then_config_error(tmp_path: Path) -> None:
    file = tmp_path / "platform.json"
    file.write_text(json.dumps({"studio": {"users": "carol"}}))
    with pytest.raises(ConfigError, match=r"`studio.users` = \"carol\""):
        load_config_file(file)


def test_given_a_missing_file_when_loaded_then_config_error_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config_file(tmp_path / "absent.yaml")


def test_given_both_context_keys_when_read_then_the_config_file_wins(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("name: fromfile\n")
    context = {"config": str(file), "platform": {"name": "inline"}}
    assert config_from_context(context.get).name == "fromfile"


def test_given_platform_as_a_json_string_on_the_command_line_when_read_then_parsed() -> None:
    assert config_from_context({"platform": '{"name": "cli"}'}.get).name == "cli"


def run_app(context: dict[str, Any], outdir: Path) -> subprocess.CompletedProcess[str]:
    """Run app.py the way the CDK CLI does: context in CDK_CONTEXT_JSON, output dir in CDK_OUTDIR."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    return subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_given_a_bad_config_when_the_app_runs_then_one_message_no_traceback_nothing_written(tmp_path: Path) -> None:
    outdir = tmp_path / "cdk.out"
    result = run_app({"platform": {"studio": {"users": ["alice", "alice"]}}}, outdir)
    assert result.returncode == 1
    assert "duplicate user" in result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not any(outdir.iterdir())
