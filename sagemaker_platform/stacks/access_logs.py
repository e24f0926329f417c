"""`AccessLogsStack`: the one bucket of an account and region that receives the S3 server access logs of the
platform's buckets there, so that each capability does not keep a log bucket of its own."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.constructs.storage import access_logs_bucket, allow_account_log_delivery
from sagemaker_platform.stacks.base import tag_platform

CAPABILITY = "access-logs"


class AccessLogsStack(cdk.Stack):
    """The server access log bucket of the platform's buckets in this stack's account and region.

    Named `naming.access_logs_bucket_name`, so that the stacks whose buckets log there refer to it by name
    (`bucket_in`), with no CloudFormation export. Each stack's logs go under ``<stack name>/``. The bucket is
    RETAINed whatever the capabilities' removal policies: a bucket with logs in it cannot be deleted, and the
    logs are the audit trail of buckets that may already be gone. Logs are kept as `ACCESS_LOG_RETENTION` says.
    """

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"{config.name}: S3 server access logs of this account", **kwargs)
        tag_platform(self, config, CAPABILITY)
        self.bucket_name = naming.access_logs_bucket_name(config.name, self.account, self.region)
        self.bucket = access_logs_bucket(
            self,
            "Bucket",
            of="the platform's buckets in this account and region",
            removal_policy=cdk.RemovalPolicy.RETAIN,
            bucket_name=self.bucket_name,
        )
        # The source buckets live in other stacks and name this one only: the account's log delivery is admitted
        # here, once, instead of one statement per source bucket.
        allow_account_log_delivery(self.bucket, sid="S3ServerAccessLogsOfThisAccount")
        # cdk-nag exempts a log bucket only when a bucket of the same stack logs to it; here they are in others.
        own_logs = (
            "this bucket receives the server access logs of the platform's buckets in this account (other stacks "
            "name it); logging it to itself would loop"
        )
        acknowledge(
            self.bucket,
            {
                "AwsSolutions-S1": own_logs,
                "HIPAA.Security-S3BucketLoggingEnabled": own_logs,
                "NIST.800.53.R5-S3BucketLoggingEnabled": own_logs,
            },
        )

    def bucket_in(self, consumer: cdk.Stack) -> s3.IBucket:
        """The bucket, imported by name into `consumer` (a stack of the same account and region), which deploys
        after this one (S3 refuses a logging target that does not exist)."""
        consumer.add_stack_dependency(self, "its buckets deliver their server access logs to the account's log bucket")
        return s3.Bucket.from_bucket_name(consumer, "SharedAccessLogs", self.bucket_name)


def shared_access_logs(consumer: cdk.Stack, access_logs: AccessLogsStack | None) -> s3.IBucket | None:
    """`access_logs.bucket_in(consumer)`, or None (the consumer's constructs keep their own log buckets)."""
    return None if access_logs is None else access_logs.bucket_in(consumer)
