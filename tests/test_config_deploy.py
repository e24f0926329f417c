"""The `deploy` config section: every mistake names the key, the value and what is allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from sagemaker_platform.config import Items, PlatformConfig, StrictModel, parse_config
from sagemaker_platform.errors import ConfigError
from tests.support import default_config_raw

GROUP = {"model_package_group": "churn", "endpoints": ["churn-async"]}


def problems_of(deploy: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({"deploy": deploy})
    return list(caught.value.problems)


def test_given_the_default_cdk_json_then_deploy_is_on_at_sandbox_scale() -> None:
    deploy = parse_config(default_config_raw()).deploy
    assert deploy is not None and deploy.state_machine
    assert [group.model_package_group for group in deploy.groups] == ["churn"]


def test_given_a_minimal_deploy_section_then_the_defaults_apply() -> None:
    # Each deployed endpoint must be an `endpoints` entry fed by the group (the merged cross-check).
    endpoints = [
        {"name": name, "model_package_group": GROUP["model_package_group"], "instance_type": "ml.g5.xlarge"}
        for name in GROUP["endpoints"]
    ]
    deploy = parse_config({"endpoints": endpoints, "deploy": {"groups": [GROUP]}}).deploy
    assert deploy is not None
    assert (deploy.approval_timeout_hours, deploy.poll_interval_seconds, deploy.deploy_timeout_minutes) == (72, 30, 90)
    assert deploy.groups[0].rollback_on_reject is True and deploy.groups[0].smoke_test is None


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        ({"groups": []}, "`deploy.groups` = []: Value should have at least 1 item"),
        ({"groups": [GROUP, GROUP]}, '`deploy.groups` = "churn": each model package group may be listed once'),
        ({"groups": [{"model_package_group": "churn", "endpoints": []}]}, "`deploy.groups[0].endpoints` = []"),
        (
            {"groups": [{"model_package_group": "churn", "endpoints": ["a", "a"]}]},
            '`deploy.groups[0].endpoints` = ["a", "a"]: each endpoint may be listed once',
        ),
        ({"groups": [{"model_package_group": "-bad", "endpoints": ["a"]}]}, "must be a model package group name"),
        ({"groups": [GROUP], "state_machine": False}, "configure `gitlab` or `mwaa`"),
        ({"groups": [GROUP], "poll_interval_seconds": 5}, "`deploy.poll_interval_seconds` = 5"),
        ({"groups": [GROUP], "notification_emails": ["nobody"]}, "must be an e-mail address"),
        ({"groups": [GROUP], "gitlab": {"url": "http://x", "project_id": 1, "token_secret_name": "t"}}, "gitlab.url"),
        (
            {"groups": [GROUP], "schedules": [{"name": "n", "pipeline_name": "p", "schedule_expression": "daily"}]},
            "must be an EventBridge Scheduler expression",
        ),
        ({"groups": [{**GROUP, "smoke_test": {"payload": "x" * 2000}}]}, "deploy.groups[0].smoke_test.payload"),
        ({"groups": [GROUP], "approval": True}, "`deploy`: unknown key(s) 'approval'"),
    ],
)
def test_given_a_bad_deploy_section_then_the_problem_names_the_key(deploy: dict[str, Any], expected: str) -> None:
    assert any(expected in problem for problem in problems_of(deploy)), problems_of(deploy)


class _Endpoint(StrictModel):
    name: str
    model_package_group: str


class _WithEndpoints(PlatformConfig):
    """The platform config once GPU endpoint hosting adds its `endpoints` list (same shape as its entries)."""

    endpoints: Items[_Endpoint] | None = None


@pytest.mark.parametrize(
    ("endpoints", "expected"),
    [
        ([{"name": "churn-async", "model_package_group": "churn"}], None),
        ([{"name": "other", "model_package_group": "churn"}], "no `endpoints` entry of that name; known: other"),
        (
            [{"name": "churn-async", "model_package_group": "fraud"}],
            "serves model_package_group 'fraud', not 'churn'",
        ),
    ],
)
def test_given_endpoints_entries_then_deploy_groups_must_name_entries_serving_the_group(
    endpoints: list[dict[str, str]], expected: str | None
) -> None:
    raw = {"deploy": {"groups": [GROUP]}, "endpoints": endpoints}
    if expected is None:
        assert _WithEndpoints.model_validate_json(json.dumps(raw)).deploy is not None
        return
    with pytest.raises(ValidationError) as caught:
        _WithEndpoints.model_validate_json(json.dumps(raw))
    assert expected in str(caught.value)
