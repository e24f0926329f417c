"""The `network` config section: where the platform's Lambda functions run, and the mistakes it refuses."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import ConfigError
from tests.support import ACCOUNTS, REPO_ROOT, default_config_raw

MULTI_ACCOUNT = REPO_ROOT / "examples" / "multi-account.yaml"
SUBNETS = {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": ["sg-0123456789abcdef0"]}


def config(functions: dict[str, Any], *, accounts: bool = False) -> dict[str, Any]:
    """cdk.json's config (the sandbox), or with `accounts` examples/multi-account.yaml, with `network.functions`."""
    base = yaml.safe_load(MULTI_ACCOUNT.read_text()) if accounts else default_config_raw()
    return {**base, "network": {"functions": functions}}


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return str(caught.value)


def test_given_no_network_section_then_functions_stay_outside_any_vpc() -> None:
    raw = {key: value for key, value in default_config_raw().items() if key != "network"}
    assert parse_config(raw).network.functions is None


def test_given_studio_in_the_sandbox_then_every_account_role_uses_the_studio_vpc() -> None:
    functions = parse_config(config({"vpc": "studio"})).network.functions
    assert functions is not None
    assert {functions.placement(role) for role in ACCOUNTS} == {"studio"}


def test_given_per_account_placements_then_each_account_gets_its_own() -> None:
    functions = parse_config(
        config({"vpc": "none", "accounts": {"dev": "studio", "prod": SUBNETS}}, accounts=True)
    ).network.functions
    assert functions is not None
    assert functions.placement("dev") == "studio"
    assert functions.placement("tooling") == "none"
    placement = functions.placement("prod")
    assert not isinstance(placement, str) and placement.subnet_ids == ("subnet-0123456789abcdef0",)


def test_given_studio_as_every_accounts_vpc_in_a_multi_account_config_then_it_is_refused() -> None:
    message = refusal(config({"vpc": "studio"}, accounts=True))
    assert "`network.functions.vpc`" in message and "network.functions.accounts.dev" in message


def test_given_studio_for_another_account_than_dev_then_it_is_refused() -> None:
    message = refusal(config({"accounts": {"dev": "studio", "prod": "studio"}}, accounts=True))
    assert "`network.functions.accounts.prod`" in message


def test_given_studio_without_a_studio_section_then_it_is_refused() -> None:
    raw = config({"vpc": "studio"})
    del raw["studio"]
    assert "`network.functions.vpc`" in refusal(raw)


def test_given_studio_in_an_existing_vpc_then_studio_placement_is_refused() -> None:
    raw = config({"vpc": "studio"})
    raw["studio"] = {
        **raw["studio"],
        "vpc": {"vpc_id": "vpc-0123456789abcdef0", **{"subnet_ids": SUBNETS["subnet_ids"]}},
    }
    message = refusal(raw)
    assert "`network.functions.vpc`" in message and "subnet_ids" in message


def test_given_per_account_placements_in_the_sandbox_then_they_are_refused() -> None:
    assert "`network.functions.accounts`" in refusal(config({"vpc": "none", "accounts": {"dev": "studio"}}))


@pytest.mark.parametrize(
    ("functions", "key"),
    [
        ({"vpc": "default"}, "network.functions.vpc"),
        ({"vpc": {"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-0123456789abcdef0"]}}, "subnet_ids"),
        ({"vpc": {"subnet_ids": SUBNETS["subnet_ids"]}}, "security_group_ids"),
        ({"vpc": "none", "accounts": {"sandbox": "none"}}, "network.functions.accounts"),
    ],
)
def test_given_a_malformed_placement_then_the_error_names_the_key(functions: dict[str, Any], key: str) -> None:
    assert key in refusal(config(functions, accounts=True))


def test_given_a_gitlab_trigger_over_the_internet_then_the_studio_vpc_is_refused() -> None:
    """The Studio VPC has no route out: a GitLab trigger without `deploy.gitlab.vpc` could not reach GitLab."""
    raw = config({"vpc": "studio"})
    gitlab = {"url": "https://gitlab.example.com", "project_id": 42, "token_secret_name": "mlplatform/gitlab"}
    raw["deploy"] = {**raw["deploy"], "gitlab": gitlab}
    message = refusal(raw)
    assert "`network.functions.vpc`" in message and "deploy.gitlab.vpc" in message
    vpc = {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": ["sg-0123456789abcdef0"]}
    raw["deploy"]["gitlab"] = {**gitlab, "vpc": vpc}
    assert parse_config(raw).network.functions is not None
