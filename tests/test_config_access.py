"""Config checks of the access journeys: pinned registry versions and Studio personas."""

from __future__ import annotations

from typing import Any

import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import ConfigError
from tests.test_config import ACCOUNTS

PINNED = "arn:aws:sagemaker:eu-west-1:{account}:model-package/{group}/7"


def multi(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {
        "accounts": ACCOUNTS,
        "region": "eu-west-1",
        "registry": {"model_package_groups": ["churn", "fraud-detection"]},
        "endpoints": [
            {"name": "churn-rt", "model_package_group": "churn", "instance_type": "ml.g5.xlarge"},
            {"name": "pinned", "instance_type": "ml.g5.xlarge", **endpoint},
        ],
    }


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return list(caught.value.problems)


def test_given_a_version_pinned_in_an_undeclared_registry_group_then_the_error_names_the_entry() -> None:
    arn = PINNED.format(account=ACCOUNTS["registry"], group="fraud")
    (problem,) = problems_of(multi({"model_package_arn": arn}))
    assert problem.startswith(f"`endpoints[1].model_package_arn` = \"{arn}\": group 'fraud' is in the registry account")
    assert "registry.model_package_groups" in problem


def test_given_a_version_pinned_in_the_registry_account_but_another_region_then_refused() -> None:
    arn = PINNED.format(account=ACCOUNTS["registry"], group="churn").replace("eu-west-1", "us-east-1")
    (problem,) = problems_of(multi({"model_package_arn": arn}))
    assert problem.startswith("`endpoints[1].model_package_arn`") and "the registry is in eu-west-1" in problem


def test_given_pinned_versions_then_the_platform_group_is_known_only_for_the_registry_account() -> None:
    declared = parse_config(
        multi({"model_package_arn": PINNED.format(account=ACCOUNTS["registry"], group="fraud-detection")})
    )
    assert declared.registry_group_of(declared.endpoints[1]) == "fraud-detection"
    foreign = parse_config(multi({"model_package_arn": PINNED.format(account="999999999999", group="fraud")}))
    assert foreign.registry_group_of(foreign.endpoints[1]) is None
    assert foreign.registry_group_of(foreign.endpoints[0]) == "churn"


def test_given_plain_and_mapped_studio_users_then_personas_default_to_data_scientist() -> None:
    config = parse_config({"studio": {"users": ["alice", {"name": "carol", "persona": "approver"}]}})
    assert config.studio is not None
    assert [(u.name, u.persona) for u in config.studio.users] == [("alice", "data-scientist"), ("carol", "approver")]


def test_given_an_unknown_persona_then_the_error_names_the_user_entry() -> None:
    (problem,) = problems_of({"studio": {"users": ["alice", {"name": "bob", "persona": "admin"}]}})
    assert problem.startswith(
        "`studio.users[1].persona` = \"admin\": Input should be 'data-scientist' or 'approver'"
    ), problem
