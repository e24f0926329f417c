"""`InferenceGateway`: an asynchronous prediction API over SageMaker endpoints and model ensembles.

    client --SigV4--> API Gateway (IAM auth, JSON schema validation, throttling, WAF, access logs)
        POST /predictions            -> record (DynamoDB) + presigned PUT URL for the input
        GET  /predictions/{id}       -> state + presigned GET URL of the output, or the error
    input bucket --Object Created (EventBridge)--> upload queue (DLQ) -> invoke function
        async endpoint: InvokeEndpointAsync (fire and forget)
        real-time endpoint: InvokeEndpoint, answer written to the output bucket, completion published
        ensemble: StartExecution of its state machine (one step per service, task tokens)
    completion topic (async endpoints' SuccessTopic/ErrorTopic, and the gateway's own) -> completion queue (DLQ)
        -> notify function: record completed|failed, then task token / signed webhook / SNS topic

Every store is encrypted with the gateway's customer managed key; every queue has a dead-letter queue
with an alarm; every handler is idempotent on the prediction record (conditional writes).

Modules, one concern each: `settings` (names, action lists, `GatewayService`, `GatewayProps` and their
validation), `storage` (key, table, buckets), `messaging` (queues, topics, upload rule, webhook secret),
`permissions` (functions and their grants), `ensembles` (state machines), `api` and `schema` (REST API),
`waf`, `alarms`, and `construct` (`InferenceGateway`, which composes them).
"""

from sagemaker_platform.constructs.gateway.construct import InferenceGateway
from sagemaker_platform.constructs.gateway.settings import (
    API_LOGS_ACTIONS,
    API_STAGE,
    ASYNC_OUTPUT_PREFIX,
    CLIENT_ACTIONS,
    ENDPOINT_ROLE_INPUT_ACTIONS,
    ENDPOINT_ROLE_KEY_ACTIONS,
    ENDPOINT_ROLE_OUTPUT_ACTIONS,
    ENDPOINT_ROLE_TOPIC_ACTIONS,
    HANDLER,
    INPUT_PREFIX,
    INVOKE_ENDPOINT_ACTIONS,
    INVOKE_TIMEOUT_MINUTES,
    KEY_USE_ACTIONS,
    OUTPUT_PREFIX,
    TABLE_ACTIONS,
    GatewayProps,
    GatewayService,
)
from sagemaker_platform.ensembles import EnsembleSpec, StepSpec

# The constants of the former single-module `constructs/gateway.py` stay importable from here.
__all__ = [
    "API_LOGS_ACTIONS",
    "API_STAGE",
    "ASYNC_OUTPUT_PREFIX",
    "CLIENT_ACTIONS",
    "ENDPOINT_ROLE_INPUT_ACTIONS",
    "ENDPOINT_ROLE_KEY_ACTIONS",
    "ENDPOINT_ROLE_OUTPUT_ACTIONS",
    "ENDPOINT_ROLE_TOPIC_ACTIONS",
    "HANDLER",
    "INPUT_PREFIX",
    "INVOKE_ENDPOINT_ACTIONS",
    "INVOKE_TIMEOUT_MINUTES",
    "KEY_USE_ACTIONS",
    "OUTPUT_PREFIX",
    "TABLE_ACTIONS",
    "EnsembleSpec",
    "GatewayProps",
    "GatewayService",
    "InferenceGateway",
    "StepSpec",
]
