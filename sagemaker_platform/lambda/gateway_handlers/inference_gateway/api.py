"""The REST API (Lambda proxy integration): POST /predictions and GET /predictions/{prediction_id}.

API Gateway validates bodies against a JSON schema model first; the same rules are checked here so
that a direct invocation or a schema drift cannot write a bad record. A refused request writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from inference_gateway import records
from inference_gateway.completion import split_s3_uri
from inference_gateway.errors import BadRequest, Conflict, NotFound
from inference_gateway.events import require_object
from inference_gateway.runtime import Runtime

PREDICTION_ID = re.compile(r"^[0-9a-f]{32}$")
CLIENT_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(;.{1,200})?$")
TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
REQUEST_KEYS = ("client_token", "content_type", "notification", "service")
NOTIFICATION_TYPES = ("none", "webhook", "sns")
# What a retry with the same client token must repeat; a difference is a conflict, not a silent 200.
IDEMPOTENT_FIELDS = ("service", "content_type", "notification")
MAX_URL_LENGTH = 2048


def handle(event: Any, runtime: Runtime, context: Any = None) -> dict[str, Any]:
    # API Gateway always sends an object; anything else is a direct invocation gone wrong.
    event = require_object(event, "API Gateway proxy event")
    method, resource = event.get("httpMethod"), event.get("resource")
    try:
        if method == "POST" and resource == "/predictions":
            return _response(*create_prediction(_body(event), _owner(event), runtime))
        if method == "GET" and resource == "/predictions/{prediction_id}":
            parameters = event.get("pathParameters") or {}
            if not isinstance(parameters, dict):
                raise BadRequest(["pathParameters: expected an object"])
            prediction_id = parameters.get("prediction_id", "")
            return _response(200, prediction_status(prediction_id, _owner(event), runtime))
    except BadRequest as exc:
        return _response(400, {"message": "invalid request", "problems": exc.problems})
    except NotFound as exc:
        return _response(404, {"message": str(exc)})
    except Conflict as exc:
        return _response(409, {"message": str(exc)})
    return _response(404, {"message": f"no route for {method} {resource}"})


def create_prediction(request: Any, owner: str, runtime: Runtime) -> tuple[int, dict[str, Any]]:
    """Validate, write the record (state `awaiting_input`), return its id and a presigned upload URL."""
    settings = runtime.settings
    validate_request(request, settings.service_names, settings.webhook_schemes, settings.client_topic_arn_prefix)
    now = runtime.now()
    token = request.get("client_token")
    prediction_id = (
        hashlib.sha256(f"{owner}\n{token}".encode()).hexdigest()[:32] if token is not None else uuid.uuid4().hex
    )
    notification = request.get("notification") or {"type": "none"}
    item = {
        "prediction_id": prediction_id,
        "service": request["service"],
        "owner": owner,
        "state": records.AWAITING_INPUT,
        "created_at": now,
        "updated_at": now,
        "input_deadline": now + settings.input_timeout_seconds,
        "expires_at": now + settings.input_timeout_seconds + settings.retention_seconds,
        "notification": notification,
        "notify_state": records.NOTIFY_NONE if notification["type"] == "none" else records.NOTIFY_PENDING,
    }
    if "content_type" in request:
        item["content_type"] = request["content_type"]
    status = 202
    if not runtime.records.create(item):
        # A retried request with the same client token: answer as the first time did.
        existing = runtime.records.get(prediction_id)
        if existing is None:
            raise Conflict(f"client_token {token!r} was already used for a different request")
        differing = [field for field in IDEMPOTENT_FIELDS if existing.get(field) != item.get(field)]
        if differing:
            raise Conflict(
                f"client_token {token!r} was already used for a request with a different {', '.join(differing)}; "
                "use a new client_token for a new request"
            )
        item, status = existing, 200
    body: dict[str, Any] = {
        "prediction_id": prediction_id,
        "service": item["service"],
        "state": item["state"],
        "status_path": f"/predictions/{prediction_id}",
    }
    remaining = int(item["input_deadline"]) - now
    if item["state"] == records.AWAITING_INPUT and remaining > 0:
        url = runtime.client("s3").generate_presigned_url(
            "put_object",
            Params={"Bucket": settings.input_bucket, "Key": records.input_key(prediction_id)},
            ExpiresIn=remaining,
        )
        body["upload"] = {"method": "PUT", "url": url, "expires_in": remaining}
    return status, body


def prediction_status(prediction_id: str, owner: str, runtime: Runtime) -> dict[str, Any]:
    """The record as the caller may see it: state, and a presigned output URL or the error."""
    if not isinstance(prediction_id, str) or not PREDICTION_ID.match(prediction_id):
        raise BadRequest([f"prediction_id {prediction_id!r}: must be 32 lowercase hexadecimal characters"])
    record = runtime.records.get(prediction_id)
    if record is None or record.get("owner") != owner:
        # Another principal's prediction is reported as absent, not as forbidden: ids are not disclosed.
        raise NotFound(f"no prediction {prediction_id}")
    now = runtime.now()
    state = record["state"]
    if state == records.AWAITING_INPUT and now > int(record["input_deadline"]):
        state = records.EXPIRED  # TTL deletion is lazy; the deadline decides.
    body: dict[str, Any] = {
        "prediction_id": prediction_id,
        "service": record["service"],
        "state": state,
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
    if state == records.EXPIRED:
        body["error"] = "the input was not uploaded before the upload URL expired"
    if state == records.COMPLETED:
        bucket, key = split_s3_uri(record["output_location"])
        url = runtime.client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=runtime.settings.url_expiry_seconds
        )
        body["output"] = {"url": url, "expires_in": runtime.settings.url_expiry_seconds}
    if state == records.FAILED:
        body["error"] = record.get("error", "failed")
    if record.get("notify_state") not in (None, records.NOTIFY_NONE):
        body["notification"] = {"state": record["notify_state"]}
        if record.get("notify_error"):
            body["notification"]["error"] = record["notify_error"]
    return body


def validate_request(
    request: Any, services: tuple[str, ...], webhook_schemes: tuple[str, ...], topic_arn_prefix: str
) -> None:
    """Every problem with a POST body, raised together as `BadRequest`."""
    if not isinstance(request, dict):
        raise BadRequest([f"the body must be a JSON object, got {type(request).__name__}"])
    problems = [
        f"unknown key {key!r}; allowed: {', '.join(REQUEST_KEYS)}" for key in sorted(set(request) - set(REQUEST_KEYS))
    ]
    service = request.get("service")
    if not isinstance(service, str) or service not in services:
        problems.append(f"service {service!r}: must be one of {', '.join(services)}")
    token = request.get("client_token")
    if token is not None and not (isinstance(token, str) and CLIENT_TOKEN.match(token)):
        problems.append(f"client_token {token!r}: 1-64 characters of letters, digits, '.', '_' and '-'")
    content_type = request.get("content_type")
    if content_type is not None and not (isinstance(content_type, str) and CONTENT_TYPE.match(content_type)):
        problems.append(f"content_type {content_type!r}: must be a MIME type such as 'application/json'")
    if "notification" in request:
        problems.extend(_notification_problems(request["notification"], webhook_schemes, topic_arn_prefix))
    if problems:
        raise BadRequest(problems)


def _notification_problems(notification: Any, schemes: tuple[str, ...], topic_arn_prefix: str) -> list[str]:
    if not isinstance(notification, dict) or notification.get("type") not in NOTIFICATION_TYPES:
        return [f"notification {notification!r}: an object whose 'type' is one of {', '.join(NOTIFICATION_TYPES)}"]
    kind = notification["type"]
    allowed = {"none": {"type"}, "webhook": {"type", "url"}, "sns": {"type", "topic_arn"}}[kind]
    problems = [f"notification.{key}: not allowed for type {kind!r}" for key in sorted(set(notification) - allowed)]
    if kind == "webhook":
        url = notification.get("url")
        if not (
            isinstance(url, str) and len(url) <= MAX_URL_LENGTH and url.split("://", 1)[0] in schemes and "://" in url
        ):
            problems.append(
                f"notification.url {url!r}: must be a {'/'.join(schemes)} URL of at most {MAX_URL_LENGTH} characters"
            )
    if kind == "sns":
        arn = notification.get("topic_arn")
        if not (isinstance(arn, str) and TOPIC_ARN.match(arn) and arn.startswith(topic_arn_prefix)):
            problems.append(
                f"notification.topic_arn {arn!r}: must be the ARN of a topic starting with {topic_arn_prefix!r}"
            )
    return problems


def _body(event: dict[str, Any]) -> Any:
    raw = event.get("body")
    if raw is None:
        raise BadRequest(["the request needs a JSON body"])
    if not isinstance(raw, str):
        raise BadRequest([f"body: expected the JSON text of the request, got {type(raw).__name__}"])
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadRequest([f"the body is not valid JSON: {exc}"]) from exc


def _owner(event: dict[str, Any]) -> str:
    """The calling IAM principal (API Gateway IAM auth); an assumed role's session name is dropped."""
    context = event.get("requestContext") or {}
    identity = (context.get("identity") if isinstance(context, dict) else None) or {}
    arn = identity.get("userArn") if isinstance(identity, dict) else None
    if not isinstance(arn, str) or not arn:
        raise BadRequest(["the request carries no IAM identity: call the API with SigV4-signed requests"])
    if ":assumed-role/" in arn:
        arn = arn.rsplit("/", 1)[0]
    return arn


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body, sort_keys=True),
    }
