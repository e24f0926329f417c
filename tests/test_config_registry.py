"""The `registry` config section and its cross-account rules: each mistake is one clear problem."""

from __future__ import annotations

from typing import Any

import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import ConfigError
from tests.test_config import ACCOUNTS

REGISTRY = {"model_package_groups": ["churn"]}


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return list(caught.value.problems)


def test_given_only_groups_then_dev_registers_and_nobody_else_approves() -> None:
    registry = parse_config({"registry": REGISTRY}).registry
    assert registry is not None
    assert registry.model_package_groups == ("churn",)
    assert registry.register_from == ("dev",)
    assert registry.approvers == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"accounts": {**ACCOUNTS, "registry": "22222222222"}, "registry": REGISTRY},
            '`accounts.registry` = "22222222222": must be a 12-digit AWS account id',
        ),
        (
            {"accounts": {**ACCOUNTS, "staging": "44444444444a"}, "registry": REGISTRY},
            '`accounts.staging` = "44444444444a": must be a 12-digit AWS account id',
        ),
        (
            {"accounts": {**ACCOUNTS, "registry": ACCOUNTS["dev"]}, "registry": REGISTRY},
            '`accounts.dev` = "333333333333": with `registry` set, the registry account must not be a '
            "workload account (dev, staging, prod); allowed: an account of its own, or the tooling account",
        ),
        (
            {"accounts": {**ACCOUNTS, "prod": ACCOUNTS["staging"]}, "registry": REGISTRY},
            '`accounts.prod` = "444444444444": with `registry` set, dev, staging and prod must be three '
            "different accounts",
        ),
        (
            {"registry": {"model_package_groups": ["churn", "-bad"]}},
            '`registry.model_package_groups[1]` = "-bad": must match SageMaker\'s ModelPackageGroupName pattern '
            "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        ),
        (
            {"registry": {"model_package_groups": ["churn_v2"]}},
            '`registry.model_package_groups[0]` = "churn_v2": must match SageMaker\'s ModelPackageGroupName pattern',
        ),
        (
            {"registry": {"model_package_groups": ["g" * 64]}},
            '`registry.model_package_groups[0]` = "' + "g" * 64 + "\": must match SageMaker's ModelPackageGroupName",
        ),
        (
            {"registry": {"model_package_groups": ["churn", "Churn"]}},
            '`registry.model_package_groups` = "churn": duplicate entry',
        ),
        (
            {"registry": {"model_package_groups": []}},
            "`registry.model_package_groups` = []: Value should have at least 1",
        ),
        ({"registry": {}}, "`registry.model_package_groups`: required key is missing"),
        (
            {"registry": {**REGISTRY, "register_from": ["qa"]}},
            "`registry.register_from[0]` = \"qa\": Input should be 'dev', 'staging' or 'prod'",
        ),
        (
            {"registry": {**REGISTRY, "approvers": [{"account": "dev", "role_name": "lead role"}]}},
            '`registry.approvers[0].role_name` = "lead role": must be an IAM role name',
        ),
        (
            {"registry": {**REGISTRY, "approvers": [{"account": "root", "role_name": "lead"}]}},
            "`registry.approvers[0].account` = \"root\": Input should be 'tooling', 'registry', 'dev', 'staging' "
            "or 'prod'",
        ),
        ({"registry": {**REGISTRY, "groups": ["x"]}}, "`registry`: unknown key(s) 'groups'; allowed keys: approvers,"),
    ],
)
def test_given_a_bad_registry_config_then_one_clear_problem(raw: dict[str, Any], expected: str) -> None:
    problems = problems_of(raw)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


def test_given_the_registry_in_the_tooling_account_then_allowed() -> None:
    config = parse_config({"accounts": {**ACCOUNTS, "registry": ACCOUNTS["tooling"]}, "registry": REGISTRY})
    assert config.accounts is not None and config.accounts.registry == config.accounts.tooling


def test_given_shared_workload_accounts_without_registry_then_the_registry_rules_do_not_apply() -> None:
    config = parse_config({"accounts": {**ACCOUNTS, "prod": ACCOUNTS["staging"], "registry": ACCOUNTS["dev"]}})
    assert config.registry is None
