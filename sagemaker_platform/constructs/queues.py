"""The encrypted dead-letter queue every asynchronous path of the platform ends in.

Its own module (not `common`) because `PlatformFunction` uses it and `common` builds on `function`.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform.compliance import acknowledge_dead_letter_queue

DEAD_LETTER_RETENTION = cdk.Duration.days(14)
"""How long a dead-letter queue keeps a failure (SQS's maximum): time to inspect, fix and redrive."""


def dead_letter_queue(
    scope: Construct,
    id: str,
    key: kms.IKey,
    *,
    of: str,
    cdk_nag: bool = True,
    removal_policy: cdk.RemovalPolicy | None = None,
) -> sqs.Queue:
    """An encrypted, TLS-only queue keeping failures 14 days, acknowledged as the dead-letter queue of `of`.

    :param cdk_nag: passed to `acknowledge_dead_letter_queue` (False where cdk-nag sees the queue as a DLQ).
    :param removal_policy: Default: the CDK's for queues (DELETE).
    """
    queue = sqs.Queue(
        scope,
        id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
        removal_policy=removal_policy,
    )
    acknowledge_dead_letter_queue(queue, of=of, cdk_nag=cdk_nag)
    return queue
