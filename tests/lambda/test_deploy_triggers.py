"""Optional targets: the GitLab pipeline trigger and the MWAA DAG run, each claimed once per version."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from botocore.stub import ANY

from tests.deploy_support import ACCOUNT, GROUP, REGION, package_event

from deployer import claims, start, triggers  # isort: skip
from deployer.errors import DeployError  # isort: skip
from deployer.events import PackageEvent  # isort: skip

ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1"
PACKAGE = PackageEvent(ARN, GROUP, 1, "Approved", REGION, ACCOUNT, "2026-11-23T10:00:00Z", "event-1")


@pytest.mark.parametrize(("target", "records_version"), [("deployment", True), ("gitlab", False), ("mwaa", False)])
def test_given_a_claim_then_only_a_deployment_records_the_group_and_version(
    target: str, records_version: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newer_live` finds live deployments by group and version: a CI trigger's claim must not write them."""
    updates: list[dict[str, Any]] = []

    def update(api: Any, **request: Any) -> dict[str, Any]:
        updates.append(request)
        return {"attempt": {"N": "1"}}

    monkeypatch.setattr(claims, "_table", lambda: (None, "deployments"))
    monkeypatch.setattr(claims, "_conditional_update", update)

    assert claims.claim(PACKAGE, target) == 1
    (request,) = updates
    assert request["Key"] == {"model_package_arn": {"S": ARN}, "target": {"S": target}}
    assert request["ExpressionAttributeValues"][":event"] == {"S": "event-1"}
    assert request["ExpressionAttributeValues"][":event_time"] == {"S": "2026-11-23T10:00:00Z"}
    recorded = {key: request["ExpressionAttributeValues"].get(key) for key in (":group", ":version")}
    expected = {":group": {"S": GROUP}, ":version": {"N": "1"}} if records_version else dict.fromkeys(recorded)
    assert recorded == expected
    assert ("package_version = :version" in request["UpdateExpression"]) is records_version


def test_given_a_package_then_the_gitlab_request_passes_it_as_pipeline_variables() -> None:
    request = triggers.gitlab_request("https://gitlab.example.com/", "7", "main", "secret-token", PACKAGE)

    assert request.full_url == "https://gitlab.example.com/api/v4/projects/7/trigger/pipeline"
    assert request.get_method() == "POST"
    form = dict(urllib.parse.parse_qsl(request.data.decode()))  # type: ignore[union-attr]
    assert form == {
        "token": "secret-token",
        "ref": "main",
        "variables[MODEL_PACKAGE_ARN]": ARN,
        "variables[MODEL_PACKAGE_GROUP]": GROUP,
        "variables[MODEL_PACKAGE_VERSION]": "1",
    }


@pytest.fixture
def gitlab_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DEPLOY_TARGET": "gitlab",
        "GITLAB_URL": "https://gitlab.example.com",
        "GITLAB_PROJECT_ID": "7",
        "GITLAB_REF": "main",
        "GITLAB_TOKEN_SECRET": "arn:aws:secretsmanager:us-east-1:123456789012:secret:gitlab-AbCdEf",
    }.items():
        monkeypatch.setenv(name, value)


def _claim_responses(dynamodb: Any, *statuses: str) -> None:
    for status in statuses:
        dynamodb.add_response(
            "update_item",
            {"Attributes": {"attempt": {"N": "1"}}},
            {
                "TableName": "deployments",
                "Key": {"model_package_arn": {"S": ARN}, "target": {"S": "gitlab"}},
                "UpdateExpression": ANY,
                "ConditionExpression": ANY,
                "ExpressionAttributeNames": ANY,
                "ExpressionAttributeValues": ANY
                if status == "claim"
                else {
                    ":status": {"S": status},
                    ":now": ANY,
                    ":attempt": {"N": "1"},
                },
                "ReturnValues": "ALL_NEW",
            },
        )


def test_given_an_approval_when_gitlab_accepts_then_the_token_comes_from_secrets_manager_and_the_run_is_returned(
    stub: Any, gitlab_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[urllib.request.Request] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        sent.append(request)
        return io.BytesIO(json.dumps({"id": 99, "web_url": "https://gitlab.example.com/p/-/pipelines/99"}).encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    _claim_responses(stub("dynamodb"), "claim", "claim")  # the claim, then the trigger's once-marker
    stub("secretsmanager").add_response("get_secret_value", {"SecretString": "trigger-token\n"}, {"SecretId": ANY})

    result = start.handler(package_event(), None)

    assert result == {"started": True, "target": "gitlab", "run": "https://gitlab.example.com/p/-/pipelines/99"}
    assert dict(urllib.parse.parse_qsl(sent[0].data.decode()))["token"] == "trigger-token"  # type: ignore[union-attr]


def test_given_gitlab_refuses_then_the_trigger_marker_is_removed_for_the_retry_and_a_typed_error_raised(
    stub: Any, gitlab_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def urlopen(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        raise urllib.error.HTTPError(request.full_url, 401, "Unauthorized", {}, None)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    _claim_responses(stub("dynamodb"), "claim", "claim", "claim")  # claim, marker, marker removed
    stub("secretsmanager").add_response("get_secret_value", {"SecretString": "t"}, {"SecretId": ANY})

    with pytest.raises(DeployError, match="GitLab answered 401"):
        start.handler(package_event(), None)


def test_given_an_approval_then_mwaa_gets_a_deterministic_dag_run_and_a_replay_is_accepted(
    stub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MWAA_ENVIRONMENT", "airflow")
    monkeypatch.setenv("MWAA_DAG_ID", "post_deploy")
    mwaa = stub("mwaa")
    expected = {
        "Name": "airflow",
        "Path": "/dags/post_deploy/dagRuns",
        "Method": "POST",
        "Body": {
            "dag_run_id": "churn-v1-1",
            "conf": {"MODEL_PACKAGE_ARN": ARN, "MODEL_PACKAGE_GROUP": GROUP, "MODEL_PACKAGE_VERSION": "1"},
        },
    }
    mwaa.add_response("invoke_rest_api", {"RestApiStatusCode": 200, "RestApiResponse": {}}, expected)
    mwaa.add_response("invoke_rest_api", {"RestApiStatusCode": 409, "RestApiResponse": {}}, expected)

    assert triggers.mwaa_dag(PACKAGE, 1) == "churn-v1-1"
    assert triggers.mwaa_dag(PACKAGE, 1) == "churn-v1-1"  # Airflow refuses the duplicate run id: not an error
