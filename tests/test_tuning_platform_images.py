"""Tuning specs and the tuning launcher naming an image by platform repository + tag: the spec contract, the
request it builds, and the config errors that name the key."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from sagemaker_platform import tuning_spec
from sagemaker_platform.config import parse_config
from sagemaker_platform.contracts.tuning_request import PlatformImages, build_request, image_uri
from sagemaker_platform.contracts.tuning_spec import PlatformImage
from sagemaker_platform.errors import ConfigError
from tests.test_tuning_spec import ENV, custom_spec, problems

REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlplatform"
PLATFORM = {"platform_repository": "churn-training", "tag": "2.3.0"}


def platform_spec(**changes: Any) -> dict[str, Any]:
    return custom_spec(image=dict(PLATFORM), warm_start=None, **changes)


# --- the contract ------------------------------------------------------------------------------------------


def test_given_a_platform_repository_and_tag_then_the_spec_holds_a_platform_image() -> None:
    spec = tuning_spec.parse_spec(platform_spec())
    assert spec.image == PlatformImage("churn-training", "2.3.0")
    assert not spec.builtin_image
    # a custom image: its objective is read from the log with metric_definitions, as for an ECR URI
    assert problems(platform_spec(metric_definitions=None)) == {
        "objective.metric": "must be the name of one of metric_definitions (a custom image's metrics are read "
        "from its log with those regexes)"
    }


@pytest.mark.parametrize(
    ("image", "path", "expected"),
    [
        ({"platform_repository": "churn-training"}, "image.tag", "required key is missing"),
        ({"tag": "1"}, "image.platform_repository", "required key is missing"),
        ({"platform_repository": "Churn/Training", "tag": "1"}, "image.platform_repository", "images.repositories"),
        ({"platform_repository": "churn", "tag": "no spaces"}, "image.tag", "must be an image tag"),
        ({**PLATFORM, "account": "111111111111"}, "image", "allowed keys: platform_repository, tag"),
    ],
)
def test_given_a_malformed_platform_image_then_the_problem_names_the_key(
    image: dict[str, Any], path: str, expected: str
) -> None:
    found = problems(custom_spec(image=image, warm_start=None))
    assert expected in found[path], found


def test_given_a_platform_image_then_the_request_names_its_uri_in_the_images_account() -> None:
    spec = tuning_spec.parse_spec(platform_spec())
    env = replace(ENV, platform_images=PlatformImages(REGISTRY, ("churn-training",)))
    request = build_request(spec, env, "arn:aws:states:eu-west-1:333333333333:execution:tuning:run-1")
    image = request["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"]
    assert image == f"{REGISTRY}/churn-training:2.3.0"


@pytest.mark.parametrize(
    ("platform_images", "expected"),
    [
        (None, "no platform repository is granted to the training role"),
        (
            PlatformImages(REGISTRY, ("churn-serving",)),
            "the training role may not pull from it; granted: churn-serving",
        ),
    ],
)
def test_given_a_platform_image_the_training_role_may_not_pull_then_the_request_is_refused_naming_the_key(
    platform_images: PlatformImages | None, expected: str
) -> None:
    with pytest.raises(tuning_spec.SpecError) as caught:
        image_uri(PlatformImage("churn-training", "1"), "eu-west-1", platform_images)
    (problem,) = caught.value.problems
    assert problem.path == "image.platform_repository" and expected in problem.message


# --- the platform config -----------------------------------------------------------------------------------


def test_given_the_example_then_a_tuning_spec_runs_a_platform_image(multi_account_raw: dict[str, Any]) -> None:
    config = parse_config(multi_account_raw)
    assert [s.name for s in config.tuning if isinstance(s.image, PlatformImage)] == ["churn-custom"]


def _with_tuning_image(raw: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    index = [spec["name"] for spec in raw["tuning"]].index("churn-custom")
    raw["tuning"][index]["image"] = image
    return raw


def test_given_a_tuning_spec_naming_an_unknown_repository_then_one_error_names_the_key(
    multi_account_raw: dict[str, Any],
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(_with_tuning_image(multi_account_raw, {"platform_repository": "nope", "tag": "1"}))
    message = str(error.value)
    assert message.count("\n  - ") == 1
    assert "tuning[2].image.platform_repository" in message and "nope" in message
    assert "known: churn-serving, churn-training" in message


def test_given_a_tuning_spec_naming_a_repository_closed_to_dev_training_then_one_error_names_the_key(
    multi_account_raw: dict[str, Any],
) -> None:
    # churn-serving lets only the staging and prod endpoint roles pull
    with pytest.raises(ConfigError) as error:
        parse_config(_with_tuning_image(multi_account_raw, {"platform_repository": "churn-serving", "tag": "1"}))
    message = str(error.value)
    assert "tuning[2].image.platform_repository" in message and "`pullers` must include training" in message


def test_given_a_launcher_naming_an_unknown_repository_then_one_error_names_the_key(
    multi_account_raw: dict[str, Any],
) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["tuning_launcher"]["image"] = {"platform_repository": "nope", "tag": "1"}
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert "tuning_launcher.image.platform_repository" in str(error.value)


def test_given_a_build_tuning_with_a_platform_image_spec_then_one_error_names_the_build_key(
    multi_account_raw: dict[str, Any],
) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["lifecycle"]["build"][0]["tuning"] = "churn-custom"
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert "lifecycle.build[0].tuning" in str(error.value)
