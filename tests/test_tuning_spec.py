"""The tuning spec: one test per validation rule, the request builder against botocore's service model,
and the config's `tuning` list reporting every problem at its key."""

from __future__ import annotations

import copy
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from sagemaker_platform import tuning_spec
from sagemaker_platform.config import parse_config
from sagemaker_platform.contracts import tuning_spec as contract
from sagemaker_platform.errors import ConfigError

ENV = tuning_spec.Environment(
    region="eu-west-1",
    role_arn="arn:aws:iam::333333333333:role/training",
    data_bucket="data-bucket",
    output_bucket="output-bucket",
    kms_key_arn="arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
)
CUSTOM_IMAGE = "333333333333.dkr.ecr.eu-west-1.amazonaws.com/digits-rf:1.0"


def custom_spec(**changes: Any) -> dict[str, Any]:
    """The issue's example spec (a custom image with its own metric regex), with `changes` applied."""
    spec: dict[str, Any] = {
        "name": "digits-rf",
        "strategy": "Bayesian",
        "objective": {"metric": "valid-f1", "type": "Maximize"},
        "metric_definitions": [{"name": "valid-f1", "regex": "f1: ([0-9.]+)"}],
        "ranges": {
            "n-estimators": {"type": "integer", "min": 1, "max": 200},
            "max-depth": {"type": "integer", "min": 1, "max": 30, "scaling": "Logarithmic"},
            "max-features": {"type": "categorical", "values": ["sqrt", "log2"]},
        },
        "max_jobs": 50,
        "max_parallel_jobs": 2,
        "image": CUSTOM_IMAGE,
        "instance_type": "ml.m5.large",
        "channels": {"train": {"prefix": "digits/train/"}},
        "model_package_group": "churn",
        "warm_start": {"type": "IDENTICAL_DATA_AND_ALGORITHM", "parents": ["bayesian-1", "random-1"]},
        "spot": {"max_wait_seconds": 7200, "checkpoint_s3_uri": "s3://output-bucket/checkpoints/"},
    }
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def problems(raw: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    with pytest.raises(tuning_spec.SpecError) as caught:
        tuning_spec.parse_spec(raw, **kwargs)
    found: dict[str, str] = {}
    for problem in caught.value.problems:
        found[problem.path] = f"{found[problem.path]}; {problem.message}" if problem.path in found else problem.message
    return found


def test_given_the_issue_example_spec_then_it_parses() -> None:
    spec = tuning_spec.parse_spec(custom_spec())
    assert (
        spec.strategy == "Bayesian" and len(spec.ranges) == 3 and spec.warm_start.parents == ("bayesian-1", "random-1")
    )


def test_given_an_unknown_strategy_then_the_allowed_ones_are_named() -> None:
    assert "Bayesian, Random, Hyperband, Grid" in problems(custom_spec(strategy="Genetic"))["strategy"]


def test_given_grid_with_a_numeric_range_then_only_categorical_is_allowed() -> None:
    found = problems(custom_spec(strategy="Grid", max_jobs=None, warm_start=None))
    assert found["ranges.n-estimators.type"] == "the Grid strategy searches only categorical ranges"


def test_given_grid_with_max_jobs_then_refused_as_grid_runs_every_combination() -> None:
    raw = custom_spec(
        strategy="Grid",
        warm_start=None,
        max_jobs=3,
        max_parallel_jobs=1,
        ranges={
            "a": {"type": "categorical", "values": ["1", "2"]},
            "b": {"type": "categorical", "values": ["x", "y"]},
        },
    )
    assert problems(raw)["max_jobs"] == "omit max_jobs: Grid runs one training job per combination (4)"


def test_given_more_than_a_hundred_static_and_searched_hyperparameters_then_refused() -> None:
    static = {f"s{i}": "1" for i in range(98)}
    assert (
        "at most 100 (3 are searched)" in problems(custom_spec(static_hyperparameters=static))["static_hyperparameters"]
    )


def test_given_a_non_grid_strategy_without_max_jobs_then_max_jobs_is_required() -> None:
    assert "required for the Random strategy" in problems(custom_spec(strategy="Random", max_jobs=None))["max_jobs"]


def test_given_hyperband_with_auto_early_stopping_then_refused() -> None:
    raw = custom_spec(
        strategy="Hyperband", early_stopping="Auto", warm_start=None, hyperband={"min_resource": 1, "max_resource": 30}
    )
    assert "early_stopping must be Off" in problems(raw)["early_stopping"]


def test_given_hyperband_settings_on_another_strategy_then_refused() -> None:
    raw = custom_spec(hyperband={"min_resource": 1, "max_resource": 30})
    assert "only to the Hyperband strategy" in problems(raw)["hyperband"]


def test_given_hyperband_min_resource_not_below_max_then_refused() -> None:
    raw = custom_spec(strategy="Hyperband", warm_start=None, hyperband={"min_resource": 30, "max_resource": 30})
    assert "greater than min_resource" in problems(raw)["hyperband.max_resource"]


def test_given_a_regex_that_does_not_compile_then_the_compiler_error_is_reported() -> None:
    raw = custom_spec(metric_definitions=[{"name": "valid-f1", "regex": "f1: ([0-9.]+"}])
    assert problems(raw)["metric_definitions[0].regex"].startswith("does not compile")


@pytest.mark.parametrize("regex,groups", [("f1: [0-9.]+", 0), ("(f1): ([0-9.]+)", 2)])
def test_given_a_regex_without_exactly_one_capture_group_then_refused(regex: str, groups: int) -> None:
    raw = custom_spec(metric_definitions=[{"name": "valid-f1", "regex": regex}])
    assert f"it has {groups}" in problems(raw)["metric_definitions[0].regex"]


def test_given_an_objective_metric_without_a_definition_then_refused() -> None:
    raw = custom_spec(objective={"metric": "valid-auc", "type": "Maximize"})
    assert "one of metric_definitions" in problems(raw)["objective.metric"]


def test_given_a_builtin_image_with_metric_definitions_or_a_foreign_metric_then_refused() -> None:
    found = problems(custom_spec(image="sagemaker-xgboost:1.7-1"))
    assert "omit metric_definitions" in found["metric_definitions"]
    assert "validation:auc" in found["objective.metric"]


def test_given_a_builtin_objective_in_the_wrong_direction_then_refused() -> None:
    raw = custom_spec(
        image="sagemaker-xgboost:1.7-1",
        metric_definitions=None,
        objective={"metric": "validation:rmse", "type": "Maximize"},
    )
    assert problems(raw)["objective.type"] == "validation:rmse is to be Minimized"


def test_given_a_range_with_min_not_below_max_then_refused() -> None:
    raw = custom_spec(ranges={"n-estimators": {"type": "integer", "min": 10, "max": 10}})
    assert problems(raw)["ranges.n-estimators.max"] == "must be greater than min (10)"


def test_given_logarithmic_scaling_from_zero_then_refused() -> None:
    raw = custom_spec(ranges={"alpha": {"type": "continuous", "min": 0, "max": 1, "scaling": "Logarithmic"}})
    assert "min > 0" in problems(raw)["ranges.alpha.min"]


def test_given_reverse_logarithmic_scaling_outside_zero_one_then_refused() -> None:
    raw = custom_spec(
        ranges={"n-estimators": {"type": "integer", "min": 1, "max": 200, "scaling": "ReverseLogarithmic"}}
    )
    assert "0 <= min < max < 1" in problems(raw)["ranges.n-estimators.scaling"]


def test_given_a_fractional_integer_bound_then_refused() -> None:
    raw = custom_spec(ranges={"n-estimators": {"type": "integer", "min": 1.5, "max": 200}})
    assert "whole number" in problems(raw)["ranges.n-estimators.min"]


def test_given_a_categorical_range_with_min_or_without_values_then_refused() -> None:
    found = problems(custom_spec(ranges={"k": {"type": "categorical", "min": 1}}))
    assert "use values" in found["ranges.k.min"]
    assert "between 1 and 30" in found["ranges.k.values"]


def test_given_more_than_thirty_ranges_then_refused() -> None:
    many = {f"p{i}": {"type": "continuous", "min": 0, "max": 1} for i in range(31)}
    assert "at most 30" in problems(custom_spec(ranges=many))["ranges"]


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("max_jobs", 751, "between 1 and 750"),
        ("max_parallel_jobs", 101, "between 1 and 100"),
        ("max_parallel_jobs", 0, "between 1 and 100"),
        ("max_runtime_seconds", 60, "between 120 and 15768000"),
    ],
)
def test_given_limits_beyond_the_service_quotas_then_refused(key: str, value: int, expected: str) -> None:
    assert expected in problems(custom_spec(**{key: value}))[key]


def test_given_more_parallel_jobs_than_jobs_then_refused() -> None:
    assert problems(custom_spec(max_jobs=2, max_parallel_jobs=3))["max_parallel_jobs"] == "must be <= max_jobs (2)"


def test_given_six_warm_start_parents_then_at_most_five_are_allowed() -> None:
    raw = custom_spec(warm_start={"type": "TRANSFER_LEARNING", "parents": [f"parent-{i}" for i in range(6)]})
    assert "between 1 and 5" in problems(raw)["warm_start.parents"]


def test_given_an_unknown_warm_start_type_then_the_two_types_are_named() -> None:
    raw = custom_spec(warm_start={"type": "SIMILAR", "parents": ["a"]})
    assert problems(raw)["warm_start.type"] == "must be one of IDENTICAL_DATA_AND_ALGORITHM, TRANSFER_LEARNING"


def test_given_warm_start_with_hyperband_then_refused() -> None:
    raw = custom_spec(strategy="Hyperband", hyperband={"min_resource": 1, "max_resource": 9})
    assert "Bayesian and Random" in problems(raw)["warm_start"]


def test_given_spot_max_wait_below_max_run_then_refused() -> None:
    raw = custom_spec(max_run_seconds=7200, spot={"max_wait_seconds": 3600})
    assert "must be >= max_run_seconds (7200)" in problems(raw)["spot.max_wait_seconds"]


def test_given_a_spot_checkpoint_that_is_not_an_s3_uri_then_refused() -> None:
    raw = custom_spec(spot={"max_wait_seconds": 7200, "checkpoint_s3_uri": "/tmp/checkpoints"})
    assert "S3 URI" in problems(raw)["spot.checkpoint_s3_uri"]


def test_given_a_spot_checkpoint_outside_the_output_bucket_then_the_builder_refuses_it() -> None:
    spec = tuning_spec.parse_spec(
        custom_spec(spot={"max_wait_seconds": 7200, "checkpoint_s3_uri": "s3://elsewhere/ckpt/"})
    )
    with pytest.raises(tuning_spec.SpecError, match="under s3://output-bucket/"):
        tuning_spec.build_request(spec, ENV, "exec-1")


def test_given_a_bad_vpc_instance_type_and_image_then_each_is_named() -> None:
    found = problems(
        custom_spec(
            vpc={"subnet_ids": ["subnet-1"], "security_group_ids": []},
            instance_type="m5.large",
            image="docker.io/library/python:3",
        )
    )
    assert {"vpc.subnet_ids[0]", "vpc.security_group_ids", "instance_type", "image"} <= set(found)


def test_given_a_name_too_long_for_the_tuning_job_name_then_refused() -> None:
    assert "at most 19 characters" in problems(custom_spec(name="a" * 20))["name"]


def test_given_unknown_keys_and_missing_keys_then_both_are_reported() -> None:
    raw = custom_spec(image=None, colour="blue")
    found = problems(raw)
    assert found["image"] == "required key is missing" and "allowed keys" in found[""]


def test_given_a_schedule_at_run_time_then_refused() -> None:
    found = problems(custom_spec(schedule="rate(7 days)"), allow_schedule=False)
    assert "platform config" in found["schedule"]


# --- the request against the service model --------------------------------------------------


@pytest.fixture(scope="module")
def create_tuning_job_shape() -> Any:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("CreateHyperParameterTuningJob").input_shape


@pytest.mark.parametrize("variant", ["custom-spot-warm-start", "builtin-hyperband-vpc", "grid"])
def test_given_a_valid_spec_then_the_request_validates_against_botocore(
    variant: str, create_tuning_job_shape: Any
) -> None:
    raw = {
        "custom-spot-warm-start": custom_spec(),
        "builtin-hyperband-vpc": custom_spec(
            strategy="Hyperband",
            warm_start=None,
            metric_definitions=None,
            image="sagemaker-xgboost:1.7-1",
            objective={"metric": "validation:rmse", "type": "Minimize"},
            hyperband={"min_resource": 1, "max_resource": 50},
            vpc={"subnet_ids": ["subnet-0123abcd"], "security_group_ids": ["sg-0123abcd"]},
            instance_count=2,
            static_hyperparameters={"num_round": "50"},
            random_seed=7,
            spot=None,
        ),
        "grid": custom_spec(
            strategy="Grid",
            warm_start=None,
            max_jobs=None,
            ranges={"max-features": {"type": "categorical", "values": ["sqrt", "log2"]}},
        ),
    }[variant]
    request = tuning_spec.build_request(tuning_spec.parse_spec(raw), ENV, "arn:aws:states:eu-west-1:1:execution:x:y")
    validate_parameters(request, create_tuning_job_shape)  # raises ParamValidationError on any mismatch
    assert len(request["HyperParameterTuningJobName"]) <= 32


def test_given_the_example_spec_then_the_request_carries_spot_checkpoints_warm_start_and_kms() -> None:
    request = tuning_spec.build_request(tuning_spec.parse_spec(custom_spec()), ENV, "exec-1")
    definition = request["TrainingJobDefinition"]
    assert definition["EnableManagedSpotTraining"] is True
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert definition["CheckpointConfig"] == {"S3Uri": "s3://output-bucket/checkpoints/"}
    assert definition["ResourceConfig"]["VolumeKmsKeyId"] == ENV.kms_key_arn
    assert definition["OutputDataConfig"]["KmsKeyId"] == ENV.kms_key_arn
    assert request["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    assert ranges["IntegerParameterRanges"][0] == {
        "Name": "max-depth",
        "MinValue": "1",
        "MaxValue": "30",
        "ScalingType": "Logarithmic",
    }


def test_given_a_builtin_image_then_it_resolves_to_the_regions_registry() -> None:
    assert tuning_spec.image_uri("sagemaker-xgboost:1.7-1", "eu-west-1") == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    )


def test_given_a_request_missing_a_required_field_then_botocore_would_refuse_it(create_tuning_job_shape: Any) -> None:
    """The service-model check can fail: it is not a rubber stamp."""
    request = tuning_spec.build_request(tuning_spec.parse_spec(custom_spec()), ENV, "exec-1")
    broken = copy.deepcopy(request)
    del broken["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"]
    with pytest.raises(ParamValidationError):
        validate_parameters(broken, create_tuning_job_shape)


def test_given_the_same_execution_then_the_same_job_name() -> None:
    spec = tuning_spec.parse_spec(custom_spec())
    assert tuning_spec.tuning_job_name(spec, "exec-1") == tuning_spec.tuning_job_name(spec, "exec-1")
    assert tuning_spec.tuning_job_name(spec, "exec-1") != tuning_spec.tuning_job_name(spec, "exec-2")


# --- the platform config ------------------------------------------------------------------------


def test_given_a_bad_tuning_entry_then_the_config_error_names_each_key_inside_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"tuning": [custom_spec(), custom_spec(max_jobs=0, strategy="Grid")]})
    text = str(caught.value)
    assert "`tuning[1].max_jobs` = 0: must be between 1 and 750" in text
    assert "`tuning[1].ranges.n-estimators.type`" in text


def test_given_two_tuning_specs_with_one_name_then_the_config_refuses_them() -> None:
    with pytest.raises(ConfigError, match="duplicate tuning spec name"):
        parse_config({"tuning": [custom_spec(), custom_spec()]})


def test_given_a_launcher_keep_alive_above_an_hour_then_the_config_refuses_it() -> None:
    with pytest.raises(ConfigError, match=r"tuning_launcher\.keep_alive_seconds"):
        parse_config({"tuning_launcher": {"image": "sagemaker-xgboost:1.7-1", "keep_alive_seconds": 3601}})


def test_the_package_module_and_the_lambda_asset_share_one_source_file() -> None:
    assert tuning_spec.SOURCE_PATH.parent.name == "contracts"
    assert tuning_spec.SOURCE_PATH.name == "tuning_spec.py"
    assert tuning_spec.parse_spec is contract.parse_spec


# --- warm-start chaining (issue 19 point 5) ------------------------------------------------------------


def test_given_a_parent_spec_then_it_is_kept_and_the_request_needs_it_resolved() -> None:
    spec = tuning_spec.parse_spec(custom_spec(warm_start={"type": "TRANSFER_LEARNING", "parent_spec": "churn-xgb"}))
    assert spec.warm_start is not None and spec.warm_start.parent_spec == "churn-xgb" and not spec.warm_start.parents
    with pytest.raises(tuning_spec.SpecError, match=r"warm_start\.parent_spec"):
        tuning_spec.build_request(spec, ENV, "exec-1")
    request = tuning_spec.build_request(spec, ENV, "exec-1", ("churn-xgb-0123456789ab",))
    assert request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "churn-xgb-0123456789ab"}],
        "WarmStartType": "TransferLearning",
    }
    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateHyperParameterTuningJob")
        .input_shape
    )
    validate_parameters(request, shape)


@pytest.mark.parametrize(
    ("warm_start", "path", "expected"),
    [
        ({"type": "TRANSFER_LEARNING", "parents": ["a-1"], "parent_spec": "a"}, "warm_start", "exactly one of"),
        ({"type": "TRANSFER_LEARNING"}, "warm_start", "exactly one of"),
        ({"type": "TRANSFER_LEARNING", "parent_spec": "digits-rf"}, "warm_start.parent_spec", "from itself"),
        ({"type": "TRANSFER_LEARNING", "parent_spec": "bad_name!"}, "warm_start.parent_spec", "name of a tuning spec"),
    ],
    ids=["both", "neither", "itself", "malformed"],
)
def test_given_a_bad_parent_spec_then_refused_naming_the_field(
    warm_start: dict[str, Any], path: str, expected: str
) -> None:
    assert expected in problems(custom_spec(warm_start=warm_start))[path]


@pytest.mark.parametrize("section", ["spot", "vpc", "warm_start", "hyperband", "inference", "objective"])
def test_an_optional_section_given_as_null_is_refused_at_its_key(section: str) -> None:
    # Present but not a mapping: a problem at the section's own key, never a crash or a silent default.
    with pytest.raises(tuning_spec.SpecError) as caught:
        contract.parse_spec({**custom_spec(), section: None})

    assert "must be a mapping" in [problem.message for problem in caught.value.problems if problem.path == section]
