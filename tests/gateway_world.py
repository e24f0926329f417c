"""An in-process inference gateway on moto: the handlers wired to real (emulated) tables, buckets, queues and topics.

What moto cannot do is done here and said so:
- SageMaker runtime: no endpoints exist, so `invoke_endpoint` / `invoke_endpoint_async` go to a botocore
  `Stubber` that asserts the exact call; async endpoint results are written and announced by `async_result`
  the way SageMaker does (output object + notification on the completion topic).
- S3 -> EventBridge -> SQS: moto does not route S3 events through EventBridge, so `upload` sends the
  'Object Created' event (tests/events/gateway_s3_object_created.json) to the upload queue itself.
- Step Functions does not run Lambda tasks in moto: tests call the ensemble task handler in state order
  with the task tokens, and `SfnSpy` records the SendTaskSuccess/Failure calls (moto accepts and drops them).
- Lambda's SQS event source: `drain` receives from the queue, calls the handler with the SQS event, deletes
  what succeeded and makes the reported failures visible again (as ReportBatchItemFailures does).
"""

from __future__ import annotations

import copy
import importlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from sagemaker_platform.assets import handler_dir

sys.path.insert(0, str(handler_dir("gateway_handlers")))
api = importlib.import_module("inference_gateway.api")
invoke = importlib.import_module("inference_gateway.invoke")
notify = importlib.import_module("inference_gateway.notify")
step = importlib.import_module("inference_gateway.step")
records = importlib.import_module("inference_gateway.records")
runtime_module = importlib.import_module("inference_gateway.runtime")
settings_module = importlib.import_module("inference_gateway.settings")

EVENTS = Path(__file__).resolve().parent / "events"
REGION = "us-east-1"
ACCOUNT = "123456789012"
OWNER = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-team/session-1"
OWNER_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-team"
STATE_MACHINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
MAX_RECEIVE_COUNT = 3
# One session for every world: its loader caches the service models (a fresh session reloads them).
_SESSION = boto3.session.Session(region_name=REGION)


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


class SfnSpy:
    """The moto Step Functions client, with SendTaskSuccess/SendTaskFailure calls recorded."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.task_results: list[tuple[str, str, dict[str, Any]]] = []

    def send_task_success(self, **kwargs: Any) -> dict[str, Any]:
        self.task_results.append(("success", kwargs["taskToken"], json.loads(kwargs["output"])))
        return self._client.send_task_success(**kwargs)

    def send_task_failure(self, **kwargs: Any) -> dict[str, Any]:
        self.task_results.append(("failure", kwargs["taskToken"], {"error": kwargs["error"], "cause": kwargs["cause"]}))
        return self._client.send_task_failure(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class GatewayWorld:
    """Resources, a `Runtime` per handler, and the moves of a client, S3 and SageMaker."""

    def __init__(self, services: dict[str, dict[str, str]], *, webhook_schemes: tuple[str, ...] = ("https",)) -> None:
        self.session = _SESSION
        self.s3 = self.session.client("s3")
        self.sqs = self.session.client("sqs")
        self.sns = self.session.client("sns")
        self.input_bucket, self.output_bucket = "gw-input", "gw-output"
        for bucket in (self.input_bucket, self.output_bucket):
            self.s3.create_bucket(Bucket=bucket)
        self.session.client("dynamodb").create_table(
            TableName="predictions",
            KeySchema=[{"AttributeName": "prediction_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "prediction_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # As deployed: after MAX_RECEIVE_COUNT failed deliveries a message moves to the dead-letter queue.
        self.upload_dead_letters = self.sqs.create_queue(QueueName="uploads-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.upload_dead_letters, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
        self.upload_queue = self.sqs.create_queue(QueueName="uploads", Attributes={"RedrivePolicy": redrive})[
            "QueueUrl"
        ]
        self.completion_queue = self.sqs.create_queue(QueueName="completions")["QueueUrl"]
        self.topic = self.sns.create_topic(Name="completions")["TopicArn"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.completion_queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
        )
        secret = self.session.client("secretsmanager").create_secret(Name="webhook", SecretString="s3cr3t")
        self.sfn = SfnSpy(self.session.client("stepfunctions"))
        self.services = {name: settings_module.Service(**spec) for name, spec in services.items()}
        for name, service in self.services.items():
            if service.kind == "ensemble":
                arn = self.sfn.create_state_machine(name=name, definition="{}", roleArn=STATE_MACHINE_ROLE)[
                    "stateMachineArn"
                ]
                self.services[name] = settings_module.Service(kind="ensemble", target=arn)
        self.sagemaker = self.session.client("sagemaker-runtime")
        self.stubber = Stubber(self.sagemaker)
        self.stubber.activate()
        self.now = 1_800_000_000.0
        self.sleeps: list[float] = []
        self._results = 0
        self.settings = settings_module.Settings(
            table_name="predictions",
            input_bucket=self.input_bucket,
            output_bucket=self.output_bucket,
            completion_topic_arn=self.topic,
            service_names=tuple(self.services),
            services=self.services,
            input_timeout_seconds=900,
            retention_seconds=86400,
            webhook_secret_arn=secret["ARN"],
            webhook_attempts=3,
            webhook_backoff_seconds=0.5,
            webhook_timeout_seconds=2.0,
            webhook_schemes=webhook_schemes,
            client_topic_arn_prefix=f"arn:aws:sns:{REGION}:{ACCOUNT}:mlplatform-predictions-",
        )
        self.runtime = runtime_module.Runtime(
            self.settings,
            session=self.session,
            clients={"sagemaker-runtime": self.sagemaker, "stepfunctions": self.sfn},
            clock=lambda: self.now,
            sleep=self.sleeps.append,
        )

    # --- the client -------------------------------------------------------------------------

    def post(self, body: Any, *, owner: str = OWNER) -> tuple[int, dict[str, Any]]:
        raw = body if isinstance(body, str) else json.dumps(body)
        return self._call("POST", "/predictions", raw, {}, owner)

    def status(self, prediction_id: str, *, owner: str = OWNER) -> tuple[int, dict[str, Any]]:
        return self._call("GET", "/predictions/{prediction_id}", None, {"prediction_id": prediction_id}, owner)

    def _call(self, method: str, resource: str, body: str | None, path: dict[str, str], owner: str) -> tuple[int, Any]:
        event = {
            "httpMethod": method,
            "resource": resource,
            "body": body,
            "pathParameters": path or None,
            "requestContext": {"identity": {"userArn": owner}},
        }
        response = api.handle(event, self.runtime)
        return response["statusCode"], json.loads(response["body"])

    def upload(self, response: dict[str, Any], data: bytes) -> None:
        """PUT to the presigned URL (moto serves it), then the 'Object Created' event S3 would send."""
        put = requests.put(response["upload"]["url"], data=data, timeout=10)
        assert put.status_code == 200, put.text
        self.announce_upload(records.input_key(response["prediction_id"]))

    def announce_upload(self, key: str) -> None:
        event = copy.deepcopy(sample("gateway_s3_object_created"))
        event["detail"]["bucket"]["name"] = self.input_bucket
        event["detail"]["object"]["key"] = key
        self.sqs.send_message(QueueUrl=self.upload_queue, MessageBody=json.dumps(event))

    def complete_async(self, notification: dict[str, str], output: bytes = b"{}") -> str:
        """A prediction of the async `churn` service from request to completion; returns its id."""
        status, response = self.post({"service": "churn", "notification": notification})
        assert status == 202, response
        prediction_id = response["prediction_id"]
        self.upload(response, b"{}")
        self.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)
        assert self.drain_uploads() == []
        self.async_result(prediction_id, output)
        assert self.drain_completions() == []
        return prediction_id

    # --- SageMaker ----------------------------------------------------------------------------

    def expect_async_invocation(self, endpoint: str, prediction_id: str) -> None:
        self.stubber.add_response(
            "invoke_endpoint_async",
            {"InferenceId": prediction_id, "OutputLocation": f"s3://{self.output_bucket}/async/{prediction_id}.out"},
            {
                "EndpointName": endpoint,
                "InputLocation": f"s3://{self.input_bucket}/{records.input_key(prediction_id)}",
                "ContentType": "application/json",
                "InferenceId": prediction_id,
            },
        )

    def expect_realtime_invocation(self, endpoint: str, answer: bytes, body: bytes | None = None) -> None:
        expected = {"EndpointName": endpoint, "ContentType": "application/json", "Body": ANY if body is None else body}
        self.stubber.add_response(
            "invoke_endpoint",
            {"Body": StreamingBody(io.BytesIO(answer), len(answer)), "ContentType": "application/json"},
            expected,
        )

    def async_result(self, prediction_id: str, output: bytes | None, *, failure: str | None = None) -> None:
        """What an async endpoint does when it finishes: the output object, then its SNS notification."""
        message = sample("gateway_sagemaker_async_success" if failure is None else "gateway_sagemaker_async_failure")
        message["inferenceId"] = prediction_id
        if failure is None:
            self._results += 1  # every result its own object, as SageMaker names them
            key = f"async/{prediction_id}-{self._results}.out"
            self.s3.put_object(Bucket=self.output_bucket, Key=key, Body=output or b"")
            message["responseParameters"]["outputLocation"] = f"s3://{self.output_bucket}/{key}"
        else:
            message["failureReason"] = failure
        self.sns.publish(TopicArn=self.topic, Message=json.dumps(message))

    # --- Lambda's SQS event source -------------------------------------------------------------

    def drain_uploads(self) -> list[dict[str, Any]]:
        return self._drain(self.upload_queue, invoke.handle_batch)

    def drain_completions(self) -> list[dict[str, Any]]:
        return self._drain(self.completion_queue, notify.handle_batch)

    def _drain(self, queue: str, handler: Any) -> list[dict[str, Any]]:
        """One receive + one handler call; returns the failed items (made visible again)."""
        messages = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return []
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
        }
        failures = handler(event, self.runtime)["batchItemFailures"]
        failed = {item["itemIdentifier"] for item in failures}
        retried = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages)
            if m["MessageId"] in failed
        ]
        done = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)
            if m["MessageId"] not in failed
        ]
        if retried:
            self.sqs.change_message_visibility_batch(QueueUrl=queue, Entries=retried)
        if done:
            self.sqs.delete_message_batch(QueueUrl=queue, Entries=done)
        return failures

    def queue_depth(self, queue: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def record(self, prediction_id: str) -> dict[str, Any] | None:
        return self.runtime.records.get(prediction_id)

    def read(self, url: str) -> bytes:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, response.text
        return response.content
