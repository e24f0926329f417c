"""InferenceGateway: API auth and validation, encryption everywhere, queues and alarms, ensembles as state machines."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from sagemaker_platform.compliance import acknowledge, add_compliance_gate
from sagemaker_platform.constructs.gateway import EnsembleSpec, GatewayService, InferenceGateway, StepSpec
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type

SERVICES = [
    GatewayService("churn", "mlplatform-churn-async-prod", "async"),
    GatewayService("features", "mlplatform-features-prod", "realtime"),
]
INNER = EnsembleSpec(
    "scoring",
    (StepSpec("f", "features", (("$", "request"),)), StepSpec("s", "churn", (("features", "f"),))),
    "s",
)
OUTER = EnsembleSpec(
    "triage",
    (
        StepSpec("a", "scoring", (("$", "request"),)),
        StepSpec("b", "features", (("$", "request"),)),
        StepSpec("c", "churn", (("score", "a.score"), ("vector", "b"))),
    ),
    "c",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("gateway")))
    stack = cdk.Stack(app, "Gw")
    gateway = InferenceGateway(
        stack, "Gateway", platform_name="mlplatform", services=SERVICES, ensembles=[INNER, OUTER]
    )
    client = PlatformRole(stack, "Client", assumed_by=iam.AccountRootPrincipal())
    gateway.grant_predict(client)
    api_id = stack.get_logical_id(gateway.api.node.default_child)  # type: ignore[arg-type]
    acknowledge(
        client,
        {  # the caller's one acknowledgment: prediction ids are only known at run time
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<{api_id}>"
            "/v1/GET/predictions/*]": "status of any prediction id; the API shows each caller only its own",
        },
    )
    add_compliance_gate(app)  # the construct passes the gate with nothing acknowledged by the caller
    return app.synth().get_stack_by_name("Gw").template


def props(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [resource.get("Properties", {}) for resource in resources_of_type(template, resource_type).values()]


def test_given_the_api_then_every_method_requires_iam_auth_and_a_validator(template: dict[str, Any]) -> None:
    methods = props(template, "AWS::ApiGateway::Method")
    assert sorted(m["HttpMethod"] for m in methods) == ["GET", "POST"]
    assert all(m["AuthorizationType"] == "AWS_IAM" and "RequestValidatorId" in m for m in methods)
    (post,) = (m for m in methods if m["HttpMethod"] == "POST")
    assert "application/json" in post["RequestModels"]
    (model,) = props(template, "AWS::ApiGateway::Model")
    schema = model["Schema"]
    assert schema["required"] == ["service"] and schema["additionalProperties"] is False
    assert schema["properties"]["service"]["enum"] == ["churn", "features", "scoring", "triage"]
    assert {v["ValidateRequestBody"] for v in props(template, "AWS::ApiGateway::RequestValidator")} == {True, False}


def test_given_the_api_stage_then_it_is_throttled_traced_logged_and_behind_waf(template: dict[str, Any]) -> None:
    (stage,) = props(template, "AWS::ApiGateway::Stage")
    (settings,) = stage["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (50, 100)
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False
    assert stage["TracingEnabled"] is True and "DestinationArn" in stage["AccessLogSetting"]
    assert len(props(template, "AWS::WAFv2::WebACLAssociation")) == 1
    assert len(props(template, "AWS::WAFv2::LoggingConfiguration")) == 1
    (response,) = props(template, "AWS::ApiGateway::GatewayResponse")
    assert "validationErrorString" in response["ResponseTemplates"]["application/json"]


def test_given_the_stores_then_all_use_the_gateway_key_and_are_retained(template: dict[str, Any]) -> None:
    (table,) = resources_of_type(template, "AWS::DynamoDB::Table").values()
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    table_props = table["Properties"]
    assert table_props["SSESpecification"]["SSEType"] == "KMS" and "KMSMasterKeyId" in table_props["SSESpecification"]
    assert table_props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table_props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table_props["DeletionProtectionEnabled"] is True
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    data = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert len(data) == 2
    for bucket in data:
        assert bucket["DeletionPolicy"] == "Retain"
        encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
        assert all("ExpirationInDays" in rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"])
    for queue in props(template, "AWS::SQS::Queue"):
        assert "KmsMasterKeyId" in queue
    for topic in props(template, "AWS::SNS::Topic"):
        assert "KmsMasterKeyId" in topic
    for log_group in props(template, "AWS::Logs::LogGroup"):
        assert "KmsKeyId" in log_group
    (secret,) = props(template, "AWS::SecretsManager::Secret")
    assert "KmsKeyId" in secret
    for machine in props(template, "AWS::StepFunctions::StateMachine"):
        assert machine["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"


def test_given_the_buckets_then_every_policy_refuses_plain_http(template: dict[str, Any]) -> None:
    policies = props(template, "AWS::S3::BucketPolicy")
    assert len(policies) == 3
    for policy in policies:
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in policy["PolicyDocument"]["Statement"]
        )


def test_given_the_queues_then_both_have_dead_letter_queues_and_partial_batch_failures(
    template: dict[str, Any],
) -> None:
    redriven = [q for q in props(template, "AWS::SQS::Queue") if "RedrivePolicy" in q]
    assert len(redriven) == 2 and all(q["RedrivePolicy"]["maxReceiveCount"] == 5 for q in redriven)
    assert sorted(q["VisibilityTimeout"] for q in redriven) == [720, 1800]  # 6x the consuming function's timeout
    mappings = props(template, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 2
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    (rule,) = props(template, "AWS::Events::Rule")
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "inputs/"}]}
    assert "DeadLetterConfig" in rule["Targets"][0]
    (subscription,) = props(template, "AWS::SNS::Subscription")
    assert subscription["RawMessageDelivery"] is True and "RedrivePolicy" in subscription


def test_given_the_alarms_then_dead_letters_and_failures_notify_the_alarm_topic(template: dict[str, Any]) -> None:
    (key,) = props(template, "AWS::KMS::Key")
    (cloudwatch,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}  # it may use the alarm topic's key
    alarms = props(template, "AWS::CloudWatch::Alarm")
    assert all(alarm["AlarmActions"] for alarm in alarms)
    dead_letter_alarms = [a for a in alarms if "dead-letter" in a["AlarmDescription"]]
    assert len(dead_letter_alarms) == 2 and all(a["Threshold"] == 1 for a in dead_letter_alarms)
    assert sum("Executions of ensemble" in a["AlarmDescription"] for a in alarms) == 2


def test_given_ensembles_then_each_is_a_state_machine_waiting_on_task_tokens_level_by_level(
    template: dict[str, Any],
) -> None:
    machines = {
        m["StateMachineName"]: json.loads(
            "".join(p if isinstance(p, str) else "X" for p in m["DefinitionString"]["Fn::Join"][1])
        )
        for m in props(template, "AWS::StepFunctions::StateMachine")
    }
    assert set(machines) == {"mlplatform-gateway-scoring", "mlplatform-gateway-triage"}
    triage = machines["mlplatform-gateway-triage"]["States"]
    assert [len(triage[f"Level{i}"]["Branches"]) for i in (1, 2)] == [2, 1]  # a and b in parallel, then c
    step = triage["Level2"]["Branches"][0]["States"]["Step-c"]
    assert step["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert step["Parameters"]["Payload"]["inputs"] == [["score", "a.score"], ["vector", "b"]]
    assert triage["Finish"]["Parameters"]["Payload"]["output_step"] == "c"
    assert triage["Level1"]["Catch"][0]["Next"] == "ReportFailure"


def test_given_ensembles_then_every_task_retries_its_handlers_transient_errors_and_nothing_permanent(
    template: dict[str, Any],
) -> None:
    machines = [
        json.loads("".join(p if isinstance(p, str) else "X" for p in m["DefinitionString"]["Fn::Join"][1]))
        for m in props(template, "AWS::StepFunctions::StateMachine")
    ]
    tasks: dict[str, dict[str, Any]] = {}
    for machine in machines:
        states = dict(machine["States"])
        for level in [s for s in machine["States"].values() if s["Type"] == "Parallel"]:
            for branch in level["Branches"]:
                states |= branch["States"]
        tasks |= {name: state for name, state in states.items() if state["Type"] == "Task"}
    assert {"Finish", "ReportFailure", "Step-c"} <= set(tasks)
    for name, task in tasks.items():
        retries = task["Retry"]
        # The handler's transient AWS failures (the contract's name), backing off, besides Lambda's own errors.
        assert {
            "ErrorEquals": ["AwsTransientError", "Lambda.TooManyRequestsException"],
            "IntervalSeconds": 5,
            "MaxAttempts": 4,
            "BackoffRate": 2,
            "JitterStrategy": "FULL",
        } in retries, name
        retried = {error for retry in retries for error in retry["ErrorEquals"]}
        assert not retried & {"States.ALL", "AwsPermanentError", "MalformedEvent", "States.TaskFailed"}, name


def test_given_the_invoke_function_then_it_may_call_only_the_served_endpoints(template: dict[str, Any]) -> None:
    statements = [
        s
        for policy in props(template, "AWS::IAM::ManagedPolicy")
        for s in policy["PolicyDocument"]["Statement"]
        if "sagemaker:InvokeEndpointAsync" in s["Action"]
    ]
    (statement,) = statements
    rendered = json.dumps(statement["Resource"])
    assert "endpoint/mlplatform-churn-async-prod" in rendered and "endpoint/mlplatform-features-prod" in rendered


def test_given_grant_predict_then_the_client_may_invoke_only_the_two_routes(template: dict[str, Any]) -> None:
    client_policies = [
        p
        for p in props(template, "AWS::IAM::ManagedPolicy")
        if p["PolicyDocument"]["Statement"][0]["Action"] == "execute-api:Invoke"
    ]
    (policy,) = client_policies
    rendered = json.dumps(policy["PolicyDocument"]["Statement"][0]["Resource"])
    assert "/v1/POST/predictions" in rendered and "/v1/GET/predictions/*" in rendered


@pytest.mark.parametrize(
    ("ensembles", "expected"),
    [
        ([EnsembleSpec("e", (StepSpec("a", "nope", (("$", "request"),)),), "a")], "unknown service 'nope'"),
        (
            [EnsembleSpec("e", (StepSpec("a", "churn", (("x", "b"),)), StepSpec("b", "churn", (("x", "a"),))), "a")],
            "the steps form a cycle: a -> b -> a",
        ),
        ([EnsembleSpec("e", (StepSpec("a", "churn", (("x", "ghost"),)),), "a")], "missing input 'x'"),
        ([EnsembleSpec("e", (StepSpec("a", "churn", ()),), "a")], "missing input: declare at least one"),
        (
            [
                EnsembleSpec("e1", (StepSpec("a", "e2", (("$", "request"),)),), "a"),
                EnsembleSpec("e2", (StepSpec("a", "e1", (("$", "request"),)),), "a"),
            ],
            "ensembles nest in a cycle: e1 -> e2 -> e1",
        ),
    ],
)
def test_given_a_bad_ensemble_graph_then_props_error_names_it(ensembles: list[EnsembleSpec], expected: str) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        InferenceGateway(stack, "Gateway", platform_name="p", services=SERVICES, ensembles=ensembles)


def test_given_bad_limits_then_every_problem_is_reported_at_once() -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError) as raised:
        InferenceGateway(
            stack,
            "Gateway",
            platform_name="p",
            services=[],
            throttling_rate_limit=0,
            max_receive_count=0,
            input_timeout=cdk.Duration.days(2),
        )
    assert len(raised.value.problems) == 4
