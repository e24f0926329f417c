"""`lifecycle` config for tuning in the build, baselines and model quality monitoring: each mistake named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.config.checks import monitor_baseline_build
from tests.support import default_config_raw
from tests.test_config_lifecycle import _multi, _refused

QUALITY = {
    "ground_truth_prefix": "fraud/ground-truth/",
    "problem_type": "BinaryClassification",
    "probability_attribute": "0",
    "probability_threshold": 0.5,
}


def _with_quality(**changes: Any) -> dict[str, Any]:
    raw = _multi()
    quality = {key: value for key, value in {**QUALITY, **changes}.items() if value is not None}
    raw["lifecycle"]["monitoring"][0]["model_quality"] = quality
    return raw


def test_the_multi_account_example_tunes_in_its_build_and_monitors_model_quality() -> None:
    config = parse_config(_multi())
    assert config.lifecycle is not None
    assert config.lifecycle.build[0].tuning == "churn-bayes"
    quality = config.lifecycle.monitoring[0].model_quality
    assert quality is not None and quality.problem_type == "BinaryClassification"


def test_given_a_build_tuning_spec_that_is_not_configured_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["lifecycle"]["build"][0]["tuning"] = "churn-nope"
    message = _refused(raw)
    assert '`lifecycle.build[0].tuning` = "churn-nope"' in message and "churn-bayes" in message


def test_given_a_build_tuning_spec_with_a_run_time_parent_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["tuning"][1]["warm_start"] = {"type": "TRANSFER_LEARNING", "parent_spec": "churn-bayes"}
    raw["lifecycle"]["build"][0]["tuning"] = raw["tuning"][1]["name"]
    message = _refused(raw)
    assert "`lifecycle.build[0].tuning`" in message and "parent_spec" in message


def test_given_training_and_tuning_in_one_build_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["lifecycle"]["build"][0]["training"] = {"instance_type": "ml.m5.xlarge"}
    message = _refused(raw)
    assert "`lifecycle.build[0].tuning`" in message and "not both" in message


def test_the_default_monitor_checks_against_the_baseline_its_groups_build_registers() -> None:
    config = parse_config(default_config_raw())
    assert config.lifecycle is not None
    build = monitor_baseline_build(config, config.lifecycle.monitoring[0])
    assert build is not None and build.name == "churn-train" and build.baseline


def test_given_a_required_baseline_that_no_build_registers_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["lifecycle"]["monitoring"][0]["baseline"] = True  # fraud-realtime: a pinned version, no build
    message = _refused(raw)
    assert "`lifecycle.monitoring[0].baseline` = true" in message and "baseline: false" in message


def test_given_baselining_off_in_the_build_then_the_monitor_has_none() -> None:
    raw = copy.deepcopy(default_config_raw())
    raw["lifecycle"]["build"][0]["baseline"] = False
    config = parse_config(raw)
    assert config.lifecycle is not None
    assert monitor_baseline_build(config, config.lifecycle.monitoring[0]) is None


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"problem_type": "Ranking"}, "problem_type", "BinaryClassification"),
        ({"ground_truth_prefix": "/truth"}, "ground_truth_prefix", ""),
        ({"probability_threshold": None}, "inference_attribute", "probability_threshold"),
        ({"problem_type": "Regression", "probability_threshold": None}, "probability_attribute", "Regression"),
        (
            {"problem_type": "MulticlassClassification", "probability_threshold": None},
            "inference_attribute",
            "MulticlassClassification needs it",
        ),
        ({"inference_attribute": "1", "probability_attribute": None}, "probability_threshold", "only for"),
        ({"probability_threshold": 1.5}, "probability_threshold", ""),
    ],
)
def test_given_model_quality_attributes_that_do_not_fit_the_problem_then_refused_naming_the_key(
    changes: dict[str, Any], key: str, words: str
) -> None:
    message = _refused(_with_quality(**changes))
    assert f"`lifecycle.monitoring[0].model_quality.{key}`" in message, message
    assert words in message


@pytest.mark.parametrize(
    "changes",
    [
        {
            "problem_type": "Regression",
            "probability_attribute": None,
            "probability_threshold": None,
            "inference_attribute": "0",
        },
        {"problem_type": "MulticlassClassification", "probability_threshold": None, "inference_attribute": "0"},
        {"inference_attribute": "1", "probability_attribute": None, "probability_threshold": None},
    ],
)
def test_given_model_quality_attributes_that_fit_then_accepted(changes: dict[str, Any]) -> None:
    parse_config(_with_quality(**changes))
