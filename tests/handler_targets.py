"""Every entry point of the gateway, Studio lifecycle and tuning handlers as a fuzz `Target`.

Shared by the malformed-event tests (`tests/lambda/test_handler_fuzz.py`) and `bench/handler_faults.py`.
Each handler folder is loaded the way Lambda runs it (its folder on sys.path, `index` imported); the
tuning folders share module names (`index`, `errors`), so each is loaded under a name of its own.
AWS answers come from `tests.offline_aws` (nothing leaves the process).
"""

from __future__ import annotations

import copy
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
from botocore.response import StreamingBody

from sagemaker_platform.assets import handler_dir
from tests import tuning_report_data as report_data
from tests.fuzz import Json, Target
from tests.offline_aws import Answer, error

REGION = "us-east-1"
ACCOUNT = "111111111111"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
PREDICTION = "0123456789abcdef0123456789abcdef"
OWNER = f"arn:aws:iam::{ACCOUNT}:user/alice"
TOPIC_PREFIX = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlplatform-predictions-"
_SHARED_NAMES = ("index", "errors", "report_render")


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@cache
def load_index(asset: str) -> ModuleType:
    """`<asset>/index.py` imported as Lambda would, kept under its own name; shared names left unbound after."""
    folder = str(handler_dir(asset))
    saved = {name: sys.modules.pop(name) for name in _SHARED_NAMES if name in sys.modules}
    sys.path.insert(0, folder)
    try:
        module = importlib.import_module("index")
    finally:
        sys.path.remove(folder)
        for name in _SHARED_NAMES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    sys.modules[f"_handler_{asset}"] = module
    return module


def _package(asset: str, package: str) -> None:
    folder = str(handler_dir(asset))
    if folder not in sys.path:
        sys.path.insert(0, folder)  # a uniquely named package: safe to leave importable
    importlib.import_module(package)


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


# --- inference gateway ------------------------------------------------------------------------------------


def gateway_runtime() -> Any:
    _package("gateway_handlers", "inference_gateway")
    from inference_gateway.runtime import Runtime
    from inference_gateway.settings import Service, Settings

    services = {"churn": Service("async", "churn-async"), "scorer": Service("realtime", "scorer")}
    settings = Settings(
        table_name="predictions",
        input_bucket="gw-input",
        output_bucket="gw-output",
        completion_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:completions",
        service_names=tuple(services),
        services=services,
        webhook_secret_arn=f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:webhook",
        client_topic_arn_prefix=TOPIC_PREFIX,
    )
    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    return Runtime(settings, session=session, clock=lambda: 1_800_000_000.0, sleep=lambda _: None)


def _item(record: dict[str, Any]) -> dict[str, Any]:
    """A record in DynamoDB's wire form (strings and numbers are all the gateway stores at the top)."""

    def typed(value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"BOOL": value}
        if isinstance(value, int | float):
            return {"N": str(value)}
        if isinstance(value, dict):
            return {"M": {key: typed(item) for key, item in value.items()}}
        return {"S": str(value)}

    return {key: typed(value) for key, value in record.items()}


def gateway_record(state: str, **extra: Any) -> dict[str, Any]:
    return {
        "prediction_id": PREDICTION,
        "service": "churn",
        "owner": OWNER,
        "state": state,
        "created_at": 1_800_000_000,
        "updated_at": 1_800_000_000,
        "input_deadline": 1_800_000_900,
        "expires_at": 1_800_100_000,
        "notification": {"type": "sns", "topic_arn": f"{TOPIC_PREFIX}x"},
        "notify_state": "pending",
        **extra,
    }


def _keyed(answer: dict[str, Any]) -> Answer:
    """As DynamoDB does: a key that is not a non-empty string is a ValidationException (a ClientError)."""

    def check(params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("Key") or params.get("Item") or {}).get("prediction_id")  # typed: {"S": "..."}
        if not isinstance(key, dict) or not isinstance(key.get("S"), str) or not key["S"]:
            return error("ValidationException", "One or more parameter values were invalid: key")
        return copy.deepcopy(answer)  # boto3 deserializes the item in place

    return check


def gateway_answers(record: dict[str, Any]) -> Callable[[], dict[str, Answer]]:
    def answers() -> dict[str, Answer]:
        return {
            "GetItem": _keyed({"Item": _item(record)}),
            "PutItem": _keyed({}),
            "UpdateItem": _keyed({}),
            "GetObject": lambda _: {"Body": body(b'{"x": 1}')},
            "PutObject": {},
            "Publish": {"MessageId": "m"},
            "InvokeEndpointAsync": {"InferenceId": PREDICTION, "OutputLocation": "s3://gw-output/outputs/x"},
            "InvokeEndpoint": lambda _: {"Body": body(b"{}"), "ContentType": "application/json"},
            "StartExecution": {"executionArn": "arn", "startDate": 0},
            "SendTaskSuccess": {},
            "SendTaskFailure": {},
        }

    return answers


def _api_event(method: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {
        "httpMethod": method,
        "resource": resource,
        "requestContext": {"identity": {"userArn": OWNER}},
        **extra,
    }


def gateway_targets() -> list[Target]:
    runtime = gateway_runtime()
    from inference_gateway import api, invoke, notify, step
    from inference_gateway.errors import GatewayError

    typed = (GatewayError,)
    upload = Json(
        {
            "detail-type": "Object Created",
            "source": "aws.s3",
            "detail": {"bucket": {"name": "gw-input"}, "object": {"key": f"inputs/{PREDICTION}"}},
        }
    )
    completion = Json(
        {
            "inferenceId": PREDICTION,
            "invocationStatus": "Completed",
            "responseParameters": {"outputLocation": f"s3://gw-output/outputs/{PREDICTION}"},
        }
    )
    running = gateway_answers(gateway_record("running"))
    return [
        Target(
            "gateway:api POST",
            _api_event(
                "POST",
                "/predictions",
                body=Json(
                    {
                        "service": "churn",
                        "client_token": "t-1",
                        "content_type": "application/json",
                        "notification": {"type": "sns", "topic_arn": f"{TOPIC_PREFIX}x"},
                    }
                ),
            ),
            lambda event: api.handle(event, runtime),
            typed,
            gateway_answers(gateway_record("awaiting_input")),
        ),
        Target(
            "gateway:api GET",
            _api_event("GET", "/predictions/{prediction_id}", pathParameters={"prediction_id": PREDICTION}),
            lambda event: api.handle(event, runtime),
            typed,
            gateway_answers(gateway_record("completed", output_location=f"s3://gw-output/outputs/{PREDICTION}")),
        ),
        Target(
            "gateway:invoke batch",
            {"Records": [{"messageId": "m-1", "body": upload}]},
            lambda event: invoke.handle_batch(event, runtime),
            typed,
            gateway_answers(gateway_record("awaiting_input")),
        ),
        Target(
            "gateway:invoke message",
            upload,
            lambda event: invoke.handle_upload(event, runtime),
            typed,
            gateway_answers(gateway_record("awaiting_input")),
        ),
        Target(
            "gateway:notify batch",
            {"Records": [{"messageId": "m-1", "body": completion}]},
            lambda event: notify.handle_batch(event, runtime),
            typed,
            running,
        ),
        Target(
            "gateway:notify message",
            completion,
            lambda event: notify.handle_completion(event, runtime),
            typed,
            running,
        ),
        Target(
            "gateway:step",
            {
                "action": "step",
                "prediction_id": PREDICTION,
                "step": "features",
                "service": "churn",
                "inputs": [["$", "request"]],
                "task_token": "token",
            },
            lambda event: step.handle(event, runtime),
            typed,
            gateway_answers(gateway_record("running", input_location=f"s3://gw-input/inputs/{PREDICTION}")),
        ),
        Target(
            "gateway:step finish",
            {"action": "finish", "prediction_id": PREDICTION, "output_step": "score"},
            lambda event: step.handle(event, runtime),
            typed,
            gateway_answers(gateway_record("completed", output_location=f"s3://gw-output/outputs/{PREDICTION}")),
        ),
        Target(
            "gateway:step fail",
            {"action": "fail", "prediction_id": PREDICTION, "error": {"Error": "E", "Cause": "boom"}},
            lambda event: step.handle(event, runtime),
            typed,
            running,
        ),
    ]


# --- Studio lifecycle -------------------------------------------------------------------------------------

DOMAIN = "d-abcdefghijkl"
FILE_SYSTEM = "fs-0123456789abcdef0"
VPC = "vpc-0123456789abcdef0"


def studio_answers() -> dict[str, Answer]:
    """A domain already deleted whose home EFS (no mount targets left) and NFS groups remain; alice and bob."""
    return {
        "DescribeDomain": lambda params: {"DomainId": params.get("DomainId"), "Status": "InService"},
        "ListUserProfiles": {
            "UserProfiles": [
                {"DomainId": DOMAIN, "UserProfileName": name, "Status": "InService"} for name in ("alice", "bob")
            ]
        },
        "ListSpaces": {"Spaces": []},
        "ListApps": {"Apps": []},
        "DeleteUserProfile": {},
        "DescribeFileSystems": {"FileSystems": []},
        "DescribeSecurityGroups": {"SecurityGroups": []},
        "GetSagemakerServicecatalogPortfolioStatus": {"Status": "Enabled"},
        "ListAcceptedPortfolioShares": {"PortfolioDetails": [{"Id": "port-1", "ProviderName": "Amazon SageMaker"}]},
        "AssociatePrincipalWithPortfolio": {},
        "DisassociatePrincipalFromPortfolio": {},
    }


def studio_targets() -> list[Target]:
    _package("studio_teardown", "studio_lifecycle")
    from studio_lifecycle.aws import StudioApi
    from studio_lifecycle.errors import StudioLifecycleError

    index = load_index("studio_teardown")
    clients = {
        service: boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        for service in ("sagemaker", "efs", "ec2", "servicecatalog")
    }

    def run(phase: str) -> Callable[[Any], Any]:
        def call(event: Any) -> Any:
            index._api = StudioApi(clients, sleep=lambda _: None)  # type: ignore[arg-type]
            with environment({index.PHASE_VARIABLE: phase}):
                return index.handler(event, None)

        return call

    base = {
        "ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:provider",
        "ResponseURL": "https://example.invalid/response",
        "StackId": "arn:aws:cloudformation:us-east-1:111111111111:stack/studio/1",
        "RequestId": "r-1",
    }
    cleanup = {
        **base,
        "RequestType": "Update",
        "LogicalResourceId": "ProfileCleanup",
        "PhysicalResourceId": f"{DOMAIN}/profile-cleanup",
        "ResourceType": "Custom::StudioProfileCleanup",
        "ResourceProperties": {"Kind": "ProfileCleanup", "DomainId": DOMAIN, "UserProfileNames": ["alice"]},
        "OldResourceProperties": {"Kind": "ProfileCleanup", "DomainId": DOMAIN, "UserProfileNames": ["alice", "bob"]},
    }
    teardown = {
        **base,
        "RequestType": "Delete",
        "LogicalResourceId": "StudioDomainTeardown",
        "PhysicalResourceId": f"{DOMAIN}/teardown",
        "ResourceType": "Custom::StudioDomainTeardown",
        "ResourceProperties": {
            "Kind": "DomainTeardown",
            "DomainId": DOMAIN,
            "HomeEfsFileSystemId": FILE_SYSTEM,
            "VpcId": VPC,
        },
    }
    projects = {
        **base,
        "RequestType": "Update",
        "LogicalResourceId": "Projects",
        "PhysicalResourceId": "sagemaker-projects-portfolio",
        "ResourceType": "Custom::StudioProjects",
        "ResourceProperties": {"Kind": "Projects", "PrincipalArns": [f"arn:aws:iam::{ACCOUNT}:role/a"]},
        "OldResourceProperties": {"Kind": "Projects", "PrincipalArns": [f"arn:aws:iam::{ACCOUNT}:role/b"]},
    }
    typed = (StudioLifecycleError,)
    return [
        Target(f"studio:{phase} {name}", event, run(phase), typed, studio_answers)
        for name, event in (("profile cleanup", cleanup), ("domain teardown", teardown), ("projects", projects))
        for phase in ("on_event", "is_complete")
    ]


# --- tuning -----------------------------------------------------------------------------------------------

LAUNCHER_ENV = {
    "LAUNCH_INTERVAL_SECONDS": "0",
    "JOB_NAME_PREFIX": "churn",
    "TRAINING_IMAGE": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/train:1",
    "TRAINING_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/training",
    "DATA_BUCKET": "data-bucket",
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "INSTANCE_TYPE": "ml.m5.large",
    "INSTANCE_COUNT": "1",
    "VOLUME_SIZE_GB": "30",
    "MAX_RUN_SECONDS": "3600",
    "KEEP_ALIVE_SECONDS": "600",
}
REGISTER_SETTINGS = {
    "spec_name": "churn-xgb",
    "model_package_group": "churn",
    "objective": {"metric": "validation:auc", "type": "Maximize"},
    "inference_image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "content_types": ["text/csv"],
    "response_types": ["text/csv"],
}
REPORT_ENV = {
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
    "AWS_REGION": REGION,
}
REGISTER_ENV = {
    "PIPELINE_STEP_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/pipeline-step",
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": LAUNCHER_ENV["KMS_KEY_ARN"],
    "REGISTRY_ACCOUNT": "",
    "MODEL_ARTIFACTS_BUCKET": "models-bucket",
}
REQUEST_ENV = {
    "AWS_REGION": REGION,
    "TRAINING_ROLE_ARN": LAUNCHER_ENV["TRAINING_ROLE_ARN"],
    "DATA_BUCKET": "data-bucket",
    "OUTPUT_BUCKET": "output-bucket",
    "KMS_KEY_ARN": LAUNCHER_ENV["KMS_KEY_ARN"],
}
SPEC: dict[str, Any] = {
    "name": "churn-xgb",
    "strategy": "Bayesian",
    "objective": {"metric": "validation:auc", "type": "Maximize"},
    "image": "sagemaker-xgboost:1.7-1",
    "instance_type": "ml.m5.large",
    "static_hyperparameters": {"objective": "binary:logistic", "num_round": "100"},
    "ranges": {
        "eta": {"type": "continuous", "min": 0.01, "max": 0.5, "scaling": "Logarithmic"},
        "max_depth": {"type": "integer", "min": 2, "max": 10},
        "alpha": {"type": "categorical", "values": ["0", "1"]},
    },
    "max_jobs": 8,
    "max_parallel_jobs": 2,
    "max_run_seconds": 1800,
    "channels": {
        "train": {"prefix": "churn/train/", "content_type": "text/csv"},
        "validation": {"prefix": "churn/validation/", "content_type": "text/csv"},
    },
    "model_package_group": "churn",
}
TUNING_JOB = "churn-xgb-0123456789ab"


def register_answers() -> dict[str, Answer]:
    return {
        "AssumeRole": {
            "Credentials": {
                "AccessKeyId": "AKIAEXAMPLE",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": "2030-01-01T00:00:00Z",
            }
        },
        "DescribeTrainingJob": {
            "TrainingJobName": "best",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://output-bucket/tuning/best/output/model.tar.gz"},
        },
        "GetObject": lambda _: {"Body": body(b"model bytes")},
        "PutObject": {},
        "CreateModelPackage": {"ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/1"},
    }


def tuning_targets() -> list[Target]:
    launcher = load_index("tuning_launcher")
    register = load_index("tuning_register")
    request = load_index("tuning_request")
    report = load_index("tuning_report")
    launcher_client = boto3.client(
        "sagemaker", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )

    def launch(event: Any) -> Any:
        launcher._launcher = launcher.Launcher(launcher_client, interval=0.0, sleep=lambda _: None)
        with environment(LAUNCHER_ENV):
            return launcher.handler(event, None)

    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    clients: dict[str, Any] = {}

    def client(service: str, **_: Any) -> Any:
        if service not in clients:
            clients[service] = session.client(service)  # type: ignore[call-overload]
        return clients[service]

    def register_run(event: Any) -> Any:
        # The handler builds fresh clients per call (as it should in Lambda); here one set serves every case,
        # since a new session reloads the service models and would make the fuzz run minutes, not seconds.
        with (
            environment({**CREDENTIALS, **REGISTER_ENV}),
            mock.patch.object(register.boto3, "client", client),
            mock.patch.object(register.boto3, "Session", lambda **_: session),
        ):
            return register.handler(event, None)

    def request_run(event: Any) -> Any:
        with environment(REQUEST_ENV):
            return request.handler(event, None)

    def report_run(event: Any) -> Any:
        with environment({**CREDENTIALS, **REPORT_ENV}), mock.patch.object(report.boto3, "client", client):
            return report.handler(event, None)

    record = {
        "messageId": "m-1",
        "receiptHandle": "rh-1",
        "body": Json(
            {"job_id": "customer-42", "hyperparameters": {"eta": "0.2"}, "channels": {"train": "customers/42/train/"}}
        ),
        "eventSource": "aws:sqs",
    }
    tuning = {
        "HyperParameterTuningJobName": TUNING_JOB,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{TUNING_JOB}",
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": {
            "TrainingJobName": "best",
            "TunedHyperParameters": {"eta": "0.1"},
            "FinalHyperParameterTuningJobObjectiveMetric": {
                "Type": "Maximize",
                "MetricName": "validation:auc",
                "Value": 0.91,
            },
        },
    }
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:tuning:run-1"
    return [
        Target(
            "tuning_launcher",
            {"Records": [record, {**record, "messageId": "m-2"}]},
            launch,
            _base_error(launcher, "LauncherError"),
            lambda: {"CreateTrainingJob": {"TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/x"}},
        ),
        Target(
            "tuning_register",
            {"tuning": tuning, "register": REGISTER_SETTINGS},
            register_run,
            _base_error(register, "HandlerError"),
            register_answers,
        ),
        Target(
            "tuning_request by name",
            {"specs": {"churn-xgb": SPEC}, "input": {"spec_name": "churn-xgb"}, "execution_id": execution},
            request_run,
            _base_error(request, "TuningRequestError"),
            dict,
        ),
        Target(
            "tuning_request full spec",
            {"specs": {}, "input": {"spec": SPEC}, "execution_id": execution},
            request_run,
            _base_error(request, "TuningRequestError"),
            dict,
        ),
        Target(
            "tuning_report",
            {"tuning_job": report_data.TUNING_JOB},
            report_run,
            _base_error(report, "HandlerError"),
            lambda: {
                "DescribeHyperParameterTuningJob": report_data.describe_tuning_job(),
                "ListTrainingJobsForHyperParameterTuningJob": {
                    "TrainingJobSummaries": report_data.training_job_summaries()
                },
                "PutObject": {},
            },
        ),
    ]


def _base_error(index: ModuleType, name: str) -> tuple[type[BaseException], ...]:
    """The handler's base error class, found through the exceptions its index imported (``HandlerError``, the
    contract's root, where the handler raises the shared `InvalidEventError` beside its own errors)."""
    for value in vars(index).values():
        if isinstance(value, type) and issubclass(value, Exception):
            for klass in value.__mro__:
                if klass.__name__ == name:
                    return (klass,)
    raise LookupError(f"{index.__file__} imports no subclass of {name}")


def all_targets() -> list[Target]:
    return gateway_targets() + studio_targets() + tuning_targets()
