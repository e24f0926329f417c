"""`lifecycle` config: pipelines only where their roles can do what they need; schedules start created pipelines."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from sagemaker_platform.config import parse_config
from sagemaker_platform.contracts.tuning_limits import (
    MAX_TRAINING_INSTANCE_COUNT,
    MAX_TRAINING_RUNTIME_SECONDS,
    MAX_TRAINING_VOLUME_GB,
)
from sagemaker_platform.errors import ConfigError
from tests.support import REPO_ROOT, default_config_raw


def _multi() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text())
    return raw


def _refused(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return str(caught.value)


def test_the_shipped_configs_hold_lifecycle_pipelines() -> None:
    default = parse_config(default_config_raw())
    assert default.lifecycle is not None and default.lifecycle.build and default.lifecycle.batch
    multi = parse_config(_multi())
    assert multi.lifecycle is not None
    assert [b.account for b in multi.lifecycle.build] == ["dev"]
    assert [b.account for b in multi.lifecycle.batch] == ["prod"]


def test_given_retraining_in_an_account_that_cannot_register_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["deploy"]["schedules"][0]["retrain_pipeline_name"] = "churn-train"  # the prod batch schedule
    message = _refused(raw)
    assert '`deploy.schedules[0].retrain_pipeline_name` = "churn-train"' in message
    assert "may not register" in message and "register_from" in message


def test_given_a_build_pipeline_in_an_account_that_cannot_register_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["lifecycle"]["build"][0]["account"] = "staging"
    message = _refused(raw)
    assert '`lifecycle.build[0].account` = "staging"' in message and "dev" in message


def test_given_a_schedule_of_a_pipeline_the_app_does_not_create_then_refused_listing_the_known_ones() -> None:
    raw = _multi()
    raw["deploy"]["schedules"][0]["pipeline_name"] = "churn-batch"
    message = _refused(raw)
    assert '`deploy.schedules[0].pipeline_name` = "churn-batch"' in message
    assert "churn-batch-inference" in message


def test_given_a_retrain_target_that_is_not_a_build_pipeline_then_refused() -> None:
    raw = copy.deepcopy(default_config_raw())
    raw["deploy"]["schedules"][0]["retrain_pipeline_name"] = "churn-batch-inference"
    message = _refused(raw)
    assert "`deploy.schedules[0].retrain_pipeline_name`" in message and "lifecycle.build" in message


def test_given_a_lifecycle_group_the_registry_lacks_then_refused() -> None:
    raw = copy.deepcopy(default_config_raw())
    raw["lifecycle"]["batch"][0]["model_package_group"] = "fraud"
    message = _refused(raw)
    assert '`lifecycle.batch[0].model_package_group` = "fraud"' in message and "churn" in message


def test_given_two_lifecycle_pipelines_of_one_name_then_refused() -> None:
    raw = copy.deepcopy(default_config_raw())
    raw["lifecycle"]["batch"][0]["name"] = "churn-train"
    assert "each lifecycle pipeline name may be used once" in _refused(raw)


@pytest.mark.parametrize(
    ("key", "value"),
    [("input_prefix", "/abs/"), ("output_prefix", "no-slash"), ("split_type", "Lines"), ("instance_count", 0)],
)
def test_given_a_bad_batch_value_then_refused_naming_it(key: str, value: Any) -> None:
    raw = copy.deepcopy(default_config_raw())
    raw["lifecycle"]["batch"][0][key] = value
    assert f"`lifecycle.batch[0].{key}`" in _refused(raw)


def test_given_a_lifecycle_without_a_registry_then_refused() -> None:
    raw = copy.deepcopy(default_config_raw())
    for section in ("registry", "deploy", "tuning", "tuning_launcher", "endpoints", "gateway"):
        raw.pop(section, None)
    assert "needs `registry`" in _refused(raw)


def test_given_drift_retraining_in_an_account_that_cannot_register_then_refused_naming_the_key() -> None:
    raw = _multi()
    raw["lifecycle"]["monitoring"][0]["retrain_pipeline_name"] = "churn-train"
    message = _refused(raw)
    assert '`lifecycle.monitoring[0].retrain_pipeline_name` = "churn-train"' in message
    assert "may not register" in message


def test_given_a_monitor_of_an_endpoint_without_data_capture_then_refused() -> None:
    raw = _multi()
    realtime = next(entry for entry in raw["endpoints"] if entry["name"] == "churn-realtime")
    del realtime["data_capture_percent"]
    raw["lifecycle"]["monitoring"][0]["endpoint"] = "churn-realtime"
    message = _refused(raw)
    assert '`lifecycle.monitoring[0].endpoint` = "churn-realtime"' in message and "data_capture_percent" in message


def test_given_a_drift_retrain_target_that_is_not_a_build_pipeline_then_refused() -> None:
    raw = copy.deepcopy(default_config_raw())
    raw["lifecycle"]["monitoring"][0]["retrain_pipeline_name"] = "churn-batch-inference"
    assert "`lifecycle.monitoring[0].retrain_pipeline_name`" in _refused(raw)


def test_the_default_endpoint_captures_data_and_is_monitored() -> None:
    config = parse_config(default_config_raw())
    assert config.endpoints[0].data_capture_percent is not None
    assert config.lifecycle is not None and [m.endpoint for m in config.lifecycle.monitoring] == [
        config.endpoints[0].name
    ]


# --- training that scales (issue 19 point 4) ------------------------------------------------------


@pytest.mark.parametrize(
    ("training", "key", "expected"),
    [
        ({"use_spot": True, "max_run_seconds": 7200, "max_wait_seconds": 3600}, "max_wait_seconds", "must be >="),
        ({"max_wait_seconds": 3600}, "max_wait_seconds", "only with use_spot=true"),
        ({"distribution": "torchrun"}, "distribution", "ml.m5.large has no suitable accelerator"),
        (
            {"distribution": "pytorchddp", "instance_type": "ml.g5.12xlarge", "instance_count": 2},
            "instance_type",
            "EFA",
        ),
        ({"distribution": "horovod"}, "distribution", "torchrun"),
    ],
    ids=["wait-shorter-than-run", "wait-without-spot", "cpu", "multi-node-without-efa", "unknown-distribution"],
)
def test_given_bad_training_scaling_then_refused_naming_the_key(
    training: dict[str, Any], key: str, expected: str
) -> None:
    raw = default_config_raw()
    raw["lifecycle"]["build"][0]["training"] = training
    message = _refused(raw)
    assert f"`lifecycle.build[0].training.{key}`" in message and expected in message


def test_given_spot_and_multi_node_distribution_on_efa_then_accepted() -> None:
    raw = default_config_raw()
    raw["lifecycle"]["build"][0]["training"] = {
        "use_spot": True,
        "max_wait_seconds": 7200,
        "distribution": "torchrun",
        "instance_type": "ml.p5.48xlarge",
        "instance_count": 2,
    }
    training = parse_config(raw).lifecycle.build[0].training  # type: ignore[union-attr]
    assert (training.use_spot, training.max_wait_seconds, training.distribution) == (True, 7200, "torchrun")


@pytest.mark.parametrize(
    ("launcher", "key", "expected"),
    [
        ({"use_spot": True}, "keep_alive_seconds", "must be 0 with use_spot"),
        ({"use_spot": True, "keep_alive_seconds": 0, "max_wait_seconds": 60}, "max_wait_seconds", "must be >="),
        ({"distribution": "smdistributed", "instance_type": "ml.g5.2xlarge"}, "instance_type", "EFA"),
    ],
    ids=["spot-with-warm-pool", "wait-shorter-than-run", "smddp-without-efa"],
)
def test_given_bad_launcher_scaling_then_refused_naming_the_key(
    launcher: dict[str, Any], key: str, expected: str
) -> None:
    raw = default_config_raw()
    raw["tuning_launcher"] = {**raw["tuning_launcher"], **launcher}
    message = _refused(raw)
    assert f"`tuning_launcher.{key}`" in message and expected in message


@pytest.mark.parametrize(
    ("key", "limit"),
    [
        ("instance_count", MAX_TRAINING_INSTANCE_COUNT),
        ("volume_size_gb", MAX_TRAINING_VOLUME_GB),
        ("max_run_seconds", MAX_TRAINING_RUNTIME_SECONDS),
    ],
)
def test_given_a_training_resource_past_the_tuning_spec_limit_then_both_training_configs_refuse_it(
    key: str, limit: int
) -> None:
    """`lifecycle.build[].training` and `tuning_launcher` bound a job's resources as a tuning spec does."""
    lifecycle, launcher = default_config_raw(), default_config_raw()
    lifecycle["lifecycle"]["build"][0]["training"] = {key: limit + 1}
    launcher["tuning_launcher"] = {**launcher["tuning_launcher"], key: limit + 1}
    assert f"`lifecycle.build[0].training.{key}`" in _refused(lifecycle)
    assert f"`tuning_launcher.{key}`" in _refused(launcher)
    lifecycle["lifecycle"]["build"][0]["training"] = {key: limit}
    launcher["tuning_launcher"][key] = limit
    assert getattr(parse_config(lifecycle).lifecycle.build[0].training, key) == limit  # type: ignore[union-attr]
    assert getattr(parse_config(launcher).tuning_launcher, key) == limit


# --- warm-start chaining (issue 19 point 5) ------------------------------------------------------------


def _chained(*links: tuple[str, str | None]) -> dict[str, Any]:
    """The default config with tuning specs named by `links` (name, parent spec or None)."""
    raw = default_config_raw()
    base = raw["tuning"][0]
    raw["tuning"] = [
        {**copy.deepcopy(base), "name": name}
        | ({"warm_start": {"type": "TRANSFER_LEARNING", "parent_spec": parent}} if parent else {})
        for name, parent in links
    ]
    for spec in raw["tuning"]:
        spec.pop("schedule", None)
    return raw


def test_given_a_chain_of_specs_then_accepted() -> None:
    config = parse_config(_chained(("churn-a", None), ("churn-b", "churn-a"), ("churn-c", "churn-b")))
    assert [s.warm_start.parent_spec if s.warm_start else None for s in config.tuning] == [None, "churn-a", "churn-b"]


def test_given_a_parent_spec_that_is_not_configured_then_refused_naming_the_key() -> None:
    message = _refused(_chained(("churn-a", None), ("churn-b", "churn-z")))
    assert '`tuning[1].warm_start.parent_spec` = "churn-z"' in message and "churn-a, churn-b" in message


def test_given_parent_specs_in_a_cycle_then_refused_naming_the_key_and_the_cycle() -> None:
    message = _refused(_chained(("churn-a", "churn-c"), ("churn-b", "churn-a"), ("churn-c", "churn-b")))
    assert "`tuning[0].warm_start.parent_spec`" in message
    assert "churn-a -> churn-c -> churn-b -> churn-a" in message
