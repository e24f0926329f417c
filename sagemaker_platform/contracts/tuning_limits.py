"""SageMaker limits, names and built-in images a tuning spec is checked against (API reference, quotas)."""

from __future__ import annotations

import re

from sagemaker_platform.contracts import names

# --- service limits and names (SageMaker API reference and service quotas) ---------------------

STRATEGIES = ("Bayesian", "Random", "Hyperband", "Grid")
OBJECTIVE_TYPES = ("Maximize", "Minimize")
RANGE_TYPES = ("integer", "continuous", "categorical")
SCALING_TYPES = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
EARLY_STOPPING_TYPES = ("Off", "Auto")
# Config spelling (the issue's) -> API spelling (HyperParameterTuningJobWarmStartType).
WARM_START_TYPES = {
    "IDENTICAL_DATA_AND_ALGORITHM": "IdenticalDataAndAlgorithm",
    "TRANSFER_LEARNING": "TransferLearning",
}
MAX_PARENT_TUNING_JOBS = 5  # WarmStartConfig.ParentHyperParameterTuningJobs
MAX_RANGES = 30  # "hyperparameters to search" quota; each ParameterRanges list also holds at most 30
MAX_CATEGORICAL_VALUES = 30  # ParameterValues
MAX_METRIC_DEFINITIONS = 40  # MetricDefinitionList
MAX_STATIC_HYPERPARAMETERS = 100  # static + tunable hyperparameters of a tuning job
# Service quotas (defaults): training jobs per tuning job, concurrent training jobs per tuning job.
MAX_TRAINING_JOBS = 750
MAX_PARALLEL_TRAINING_JOBS = 100
MAX_TUNING_RUNTIME_SECONDS = 15_768_000  # ResourceLimits.MaxRuntimeInSeconds
MIN_TUNING_RUNTIME_SECONDS = 120
MAX_TRAINING_RUNTIME_SECONDS = 2_419_200  # 28 days, the training job quota
MAX_TRAINING_INSTANCE_COUNT = 100  # ResourceConfig.InstanceCount
MAX_TRAINING_VOLUME_GB = 16384  # ResourceConfig.VolumeSizeInGB
# HyperParameterTuningJobName is at most 32 characters: `<spec name>-<12-hex run id>`.
RUN_ID_LENGTH = 12
MAX_SPEC_NAME_LENGTH = 32 - 1 - RUN_ID_LENGTH

SPEC_NAME_PATTERN = re.compile(names.name_pattern(MAX_SPEC_NAME_LENGTH))
TUNING_JOB_NAME_PATTERN = names.TUNING_JOB_NAME_RE
MODEL_PACKAGE_GROUP_PATTERN = names.NAME_63_RE
CHANNEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9.\-_]{1,64}$")
INSTANCE_TYPE_PATTERN = re.compile(r"^ml\.[a-z0-9-]+\.(medium|large|[0-9]*xlarge)$")
ECR_IMAGE_PATTERN = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+)(:(?P<tag>[A-Za-z0-9._-]+)|@sha256:[0-9a-f]{64})$"
)
# `image: {platform_repository, tag}`: an `images.repositories` name (ECR's own rule) and an image tag.
ECR_REPOSITORY_NAME_PATTERN = re.compile(r"^(?=.{1,100}$)[a-z0-9]+(?:[._-][a-z0-9]+)*$")
ECR_TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
S3_URI_PATTERN = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/(?P<key>.*))?$")
SUBNET_PATTERN = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_PATTERN = re.compile(r"^sg-[0-9a-f]{8,17}$")
SCHEDULE_PATTERN = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")

# SageMaker built-in XGBoost: the ECR registry account of each region. Source: the SageMaker Python
# SDK's image_uri_config/xgboost.json ("training" scope, version 1.7-1), the table `image_uris.retrieve`
# reads. A spec names the image as `sagemaker-xgboost:<version>`; the URI is resolved per region.
BUILTIN_IMAGE_VERSIONS = {"sagemaker-xgboost": ("1.7-1",)}
XGBOOST_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}
# The built-in XGBoost algorithm emits these metrics itself (no MetricDefinitions allowed) and each
# has one sensible direction. Source: "Tune an XGBoost model", SageMaker developer guide.
XGBOOST_OBJECTIVES = {
    "validation:accuracy": "Maximize",
    "validation:auc": "Maximize",
    "validation:f1": "Maximize",
    "validation:map": "Maximize",
    "validation:ndcg": "Maximize",
    "validation:error": "Minimize",
    "validation:logloss": "Minimize",
    "validation:mae": "Minimize",
    "validation:merror": "Minimize",
    "validation:mlogloss": "Minimize",
    "validation:mse": "Minimize",
    "validation:rmse": "Minimize",
}
