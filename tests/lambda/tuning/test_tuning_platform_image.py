"""The request builder handler resolves `image: {platform_repository, tag}` from the environment its construct
sets (PLATFORM_IMAGE_REGISTRY, PLATFORM_IMAGE_REPOSITORIES), and refuses one it may not pull before any call."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.test_tuning_spec import custom_spec

EXECUTION = "arn:aws:states:eu-west-1:333333333333:execution:tuning:run-1"
REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlplatform"
BASE_ENV = {
    "AWS_REGION": "eu-west-1",
    "TRAINING_ROLE_ARN": "arn:aws:iam::333333333333:role/mlplatform-tuning-training",
    "DATA_BUCKET": "data-bucket",
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": "arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}


def load(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for key, value in {**BASE_ENV, **env}.items():
        monkeypatch.setenv(key, value)
    return load_handler("tuning_request")


def run(handler: ModuleType, repository: str) -> dict[str, Any]:
    spec = custom_spec(image={"platform_repository": repository, "tag": "2.3.0"}, warm_start=None, spot=None)
    return handler.handler({"specs": {}, "input": {"spec": spec}, "execution_id": EXECUTION}, None)


def test_given_a_granted_platform_repository_then_training_and_inference_use_its_uri(
    load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = load(
        load_handler,
        monkeypatch,
        PLATFORM_IMAGE_REGISTRY=REGISTRY,
        PLATFORM_IMAGE_REPOSITORIES="churn-training,other",
    )
    result = run(handler, "churn-training")
    uri = f"{REGISTRY}/churn-training:2.3.0"
    assert result["request"]["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"] == uri
    assert result["register"]["inference_image"] == uri


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "no platform repository is granted to the training role"),
        (
            {"PLATFORM_IMAGE_REGISTRY": REGISTRY, "PLATFORM_IMAGE_REPOSITORIES": "churn-training"},
            "may not pull from it; granted: churn-training",
        ),
    ],
)
def test_given_a_platform_repository_the_role_may_not_pull_then_the_spec_is_refused_naming_the_key(
    load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    monkeypatch.delenv("PLATFORM_IMAGE_REGISTRY", raising=False)
    handler = load(load_handler, monkeypatch, **env)
    with pytest.raises(handler.InvalidSpecError, match=r"image\.platform_repository") as caught:
        run(handler, "churn-serving")
    assert expected in str(caught.value)
