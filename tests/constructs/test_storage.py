"""access_logs_bucket and encrypted_bucket: the shared SSE-S3 log bucket and KMS data bucket shapes."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.storage import ACCESS_LOG_RETENTION, access_logs_bucket, encrypted_bucket
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type

LOG_BUCKET_ID = "LogsBucket"
DATA_BUCKET_ID = "DataBucket"
LOGICAL_IDS: dict[str, str] = {}  # construct id -> logical id, filled by the module fixture


@pytest.fixture(scope="module")
def storage_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The legacy ACL behaviour stays on: the helpers must not depend on the app's feature flag.
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("storage")),
        context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": False},
    )
    stack = cdk.Stack(app, "Storage")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    logs = access_logs_bucket(
        stack,
        LOG_BUCKET_ID,
        of="the test data bucket",
        removal_policy=cdk.RemovalPolicy.RETAIN,
        lifecycle_rules=[ACCESS_LOG_RETENTION],
    )
    data = encrypted_bucket(
        stack,
        DATA_BUCKET_ID,
        key=key,
        access_logs=logs,
        access_logs_prefix="data/",
        removal_policy=cdk.RemovalPolicy.RETAIN,
        replication="test data is re-creatable",
        lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30))],
    )
    # scope/id/Resource is where an inline `s3.Bucket(scope, id)` put its L1: moving a bucket here keeps its logical ID.
    for bucket, construct_id in ((logs, LOG_BUCKET_ID), (data, DATA_BUCKET_ID)):
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        assert cfn_bucket.node.path == f"Storage/{construct_id}/Resource"
        LOGICAL_IDS[construct_id] = stack.get_logical_id(cfn_bucket)
    add_compliance_gate(app)  # both buckets pass the gate with no acknowledgment from the caller
    return app.synth().get_stack_by_name("Storage").template


def _bucket(template: dict[str, Any], construct_id: str) -> dict[str, Any]:
    return template["Resources"][_logical_id(template, construct_id)]


def _policy_of(template: dict[str, Any], bucket_logical_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        resource
        for resource in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": bucket_logical_id}
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _logical_id(template: dict[str, Any], construct_id: str) -> str:
    logical_id = LOGICAL_IDS[construct_id]
    assert template["Resources"][logical_id]["Type"] == "AWS::S3::Bucket"
    return logical_id


def test_given_the_helpers_then_each_bucket_is_one_resource_at_scope_slash_id(storage_template: dict[str, Any]) -> None:
    assert len(resources_of_type(storage_template, "AWS::S3::Bucket")) == 2
    assert _logical_id(storage_template, LOG_BUCKET_ID).startswith(LOG_BUCKET_ID)
    assert _logical_id(storage_template, DATA_BUCKET_ID).startswith(DATA_BUCKET_ID)


def test_given_a_log_bucket_then_it_is_sse_s3_versioned_private_and_skips_logging_itself(
    storage_template: dict[str, Any],
) -> None:
    bucket = _bucket(storage_template, LOG_BUCKET_ID)
    props = bucket["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControl" not in props and "LoggingConfiguration" not in props
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "ExpireAccessLogs",
            "ExpirationInDays": 365,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "Status": "Enabled",
        }
    ]
    assert bucket["DeletionPolicy"] == "Retain"
    skips = {skip["id"]: skip["comment"] for skip in bucket["Metadata"]["checkov"]["skip"]}
    assert set(skips) == {"CKV_AWS_18", "CKV_AWS_145"}
    assert "the test data bucket" in skips["CKV_AWS_18"]


def test_given_a_data_bucket_then_it_is_kms_encrypted_with_a_bucket_key_versioned_and_private(
    storage_template: dict[str, Any],
) -> None:
    bucket = _bucket(storage_template, DATA_BUCKET_ID)
    props = bucket["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is True
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][1] == "Arn"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["LifecycleConfiguration"]["Rules"] == [
        {"NoncurrentVersionExpiration": {"NoncurrentDays": 30}, "Status": "Enabled"}
    ]
    assert "BucketName" not in props
    assert bucket["DeletionPolicy"] == "Retain"


def test_given_a_data_bucket_then_its_access_logs_are_delivered_by_bucket_policy_not_acl(
    storage_template: dict[str, Any],
) -> None:
    logs_id = _logical_id(storage_template, LOG_BUCKET_ID)
    data_id = _logical_id(storage_template, DATA_BUCKET_ID)
    data = _bucket(storage_template, DATA_BUCKET_ID)["Properties"]
    assert data["LoggingConfiguration"] == {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "data/"}
    assert "AccessControl" not in _bucket(storage_template, LOG_BUCKET_ID)["Properties"]
    (delivery,) = [
        statement
        for statement in _policy_of(storage_template, logs_id)
        if statement.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert delivery["Effect"] == "Allow" and delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [logs_id, "Arn"]}, "/data/*"]]}
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [data_id, "Arn"]}},
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }


@pytest.mark.parametrize("construct_id", [LOG_BUCKET_ID, DATA_BUCKET_ID])
def test_given_either_bucket_then_its_policy_denies_requests_without_tls(
    storage_template: dict[str, Any], construct_id: str
) -> None:
    statements = _policy_of(storage_template, _logical_id(storage_template, construct_id))
    assert any(
        statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in statements
    )


@pytest.mark.parametrize(
    ("prefix", "replication", "named"),
    [
        ("data", "re-creatable", "access_logs_prefix='data'"),
        ("/", "re-creatable", "access_logs_prefix='/'"),
        ("/data/", "re-creatable", "access_logs_prefix='/data/'"),
        ("data/", "  ", "replication='  '"),
    ],
)
def test_given_bad_data_bucket_props_then_a_props_error_names_them(prefix: str, replication: str, named: str) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    logs = access_logs_bucket(
        stack, "Logs", of="tests", removal_policy=cdk.RemovalPolicy.DESTROY, lifecycle_rules=[ACCESS_LOG_RETENTION]
    )
    with pytest.raises(PropsError, match=re.escape(named)):
        encrypted_bucket(
            stack,
            "Data",
            key=key,
            access_logs=logs,
            access_logs_prefix=prefix,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            replication=replication,
            lifecycle_rules=[ACCESS_LOG_RETENTION],
        )


def test_given_no_description_of_the_logs_then_the_log_bucket_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError, match="of=''"):
        access_logs_bucket(stack, "Logs", of="", removal_policy=cdk.RemovalPolicy.DESTROY)


def test_given_no_lifecycle_rules_then_the_log_bucket_keeps_logs_for_the_platform_retention() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Defaults")
    access_logs_bucket(stack, "Logs", of="tests", removal_policy=cdk.RemovalPolicy.DESTROY)
    (bucket,) = resources_of_type(app.synth().get_stack_by_name("Defaults").template, "AWS::S3::Bucket").values()
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(rule["Id"], rule["ExpirationInDays"], rule["NoncurrentVersionExpiration"]) for rule in rules] == [
        ("ExpireAccessLogs", 365, {"NoncurrentDays": 30})
    ]
