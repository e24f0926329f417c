"""`PlatformFunction`: the one way this library builds a Lambda function.

Every handler of every capability runs through it, so the compliance posture of a Lambda function is
decided once: a current Python runtime, an execution role with no AWS managed policy (CloudWatch
Logs access scoped to the function's own log group), a KMS-encrypted log group with retention,
X-Ray tracing (write access from the stack's one `XRayWritePolicy`, the only `Resource: "*"` the
functions share), reserved concurrency, and a KMS-encrypted dead-letter queue for asynchronous
invocations.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from sagemaker_platform.assets import handler_code
from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, skip_checkov
from sagemaker_platform.constructs.function_network import (
    FunctionPlacement,
    network_interface_reasons,
    network_interface_statements,
)
from sagemaker_platform.constructs.once import child_once
from sagemaker_platform.constructs.queues import dead_letter_queue
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PropsError

RUNTIME = lambda_.Runtime.PYTHON_3_14
OUTSIDE_VPC_REASON = "calls only AWS service APIs and reaches no resource inside a VPC"


class PlatformFunction(Construct):
    """A Lambda function for one of the package's handlers, compliant by construction.

    Example::

        fn = PlatformFunction(self, "Teardown", handler_name="studio_teardown",
                              description="Deletes the domain's apps, spaces and profiles",
                              key=key, timeout=cdk.Duration.minutes(5))
        fn.role.add_to_principal_policy(iam.PolicyStatement(...))

    :param handler_name: folder under ``sagemaker_platform/lambda/``, or the path of a handler folder elsewhere;
        the entry point is ``index.handler``. The asset also carries `sagemaker_platform.contracts`
        (see `assets.handler_code`).
    :param key: KMS key for the log group, the environment and the dead-letter queue. The key policy
        must let CloudWatch Logs use it (`grant_logs_encrypt` below does that).
    :param description: what the function does (shown in the console).
    :param timeout: Default: 1 minute.
    :param memory_size: MiB. Default: 256.
    :param environment: environment variables. Default: none.
    :param reserved_concurrency: Default: 10; bounds what a burst of events can do downstream.
    :param vpc_reason: why the function is not in a VPC (recorded on the HIPAA/NIST acknowledgment).
        Default: it calls only AWS service APIs and reaches no resource inside a VPC.
    :param log_retention: Default: one year.
    :param role_name: name of the execution role, for a role that policies elsewhere name. Default: generated.
    :param vpc_subnet_ids: run the function in these subnets (e.g. to reach a self-managed GitLab that is only
        reachable privately), with `security_group_ids`. Default: the `FunctionPlacement` of the nearest scope
        that has one; without one, not in a VPC (`vpc_reason` says why).
    :param security_group_ids: security groups of the function's network interfaces. Default: none.
    :param needs_internet: the function calls addresses on the internet (webhooks): under a placement whose subnets
        have no route out (the Studio VPC's), it stays outside any VPC (`vpc_reason` says why). Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        handler_name: str | Path,
        key: kms.IKey,
        description: str,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        environment: dict[str, str] | None = None,
        reserved_concurrency: int = 10,
        vpc_reason: str = OUTSIDE_VPC_REASON,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        role_name: str | None = None,
        vpc_subnet_ids: Sequence[str] = (),
        security_group_ids: Sequence[str] = (),
        needs_internet: bool = False,
    ) -> None:
        super().__init__(scope, id)
        _check_vpc(vpc_subnet_ids, security_group_ids)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, encryption_key=key, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        self.role = PlatformRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description} (Lambda)",
            role_name=role_name,
        )
        self.dead_letter_queue = dead_letter_queue(
            self, "DeadLetterQueue", key, of=f"the asynchronous invocations of {id}", cdk_nag=False
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=handler_code(handler_name),
            description=description,
            timeout=timeout if timeout is not None else cdk.Duration.minutes(1),
            memory_size=memory_size,
            environment=environment,
            environment_encryption=key,
            reserved_concurrent_executions=reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
        )
        self._enable_tracing()
        self._grant_own_logs()
        self._render_network(vpc_subnet_ids, security_group_ids, needs_internet, vpc_reason)

    def _render_network(
        self, subnet_ids: Sequence[str], security_group_ids: Sequence[str], needs_internet: bool, vpc_reason: str
    ) -> None:
        """Its own subnets, else the scope's `FunctionPlacement` (unless it needs the internet and the placement has
        no route out), else outside any VPC with `vpc_reason`."""
        placement = FunctionPlacement.of(self)
        if placement is not None and needs_internet and not placement.routes_out:
            placement = None
        if subnet_ids:
            self._place_in_vpc(list(subnet_ids), list(security_group_ids))
        elif placement is not None:
            placement.place(self.function, self.role)
        else:
            self._acknowledge_outside_vpc(vpc_reason)

    def _enable_tracing(self) -> None:
        """Active tracing set on the L1, with the X-Ray write permission from the stack's one tracing policy:
        `tracing=ACTIVE` would put `Resource: "*"` into this role's own policy, where a waiver for it would
        also pre-approve any later wildcard."""
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        self.role.add_managed_policy(xray_write_policy(cdk.Stack.of(self)))

    def _acknowledge_outside_vpc(self, vpc_reason: str) -> None:
        acknowledge(
            self.function,
            {
                "HIPAA.Security-LambdaInsideVPC": vpc_reason,
                "NIST.800.53.R5-LambdaInsideVPC": vpc_reason,
                f"{CONTROL_TOWER}lambda_inside_vpc_check": vpc_reason,
            },
        )
        skip_checkov(self.function, {"CKV_AWS_117": vpc_reason})

    def _place_in_vpc(self, subnet_ids: list[str], security_group_ids: list[str]) -> None:
        """Subnets and security groups by id (no lookup), and the network-interface permissions Lambda checks
        when it creates the function, on this role alone (a placement's shared policy is in `FunctionPlacement`)."""
        cfn = self.function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.vpc_config = lambda_.CfnFunction.VpcConfigProperty(
            subnet_ids=subnet_ids, security_group_ids=security_group_ids
        )
        stack = cdk.Stack.of(self)
        for statement in network_interface_statements(stack, subnet_ids, security_group_ids):
            result = self.role.add_to_principal_policy(statement)
            # Lambda checks the role's network-interface permissions when it creates the function.
            if result.policy_dependable is not None:
                self.function.node.add_dependency(result.policy_dependable)
        acknowledge(self.role, network_interface_reasons(stack))

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

    def _grant_own_logs(self) -> None:
        # Scoped to this function's log group, instead of the AWSLambdaBasicExecutionRole managed policy. The
        # log group's ARN attribute ends in ":*", which already covers its streams ("...:log-stream:<name>").
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
            )
        )


# What a Lambda function with active tracing sends to X-Ray (the actions aws-cdk-lib grants for `Tracing.ACTIVE`):
# the Lambda service samples the invocations, so the function reads no sampling rules.
FUNCTION_TRACING_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def xray_write_policy(stack: cdk.Stack) -> iam.ManagedPolicy:
    """The stack's one customer managed policy that lets its functions send X-Ray traces (created on first use).

    X-Ray's write actions support no resource-level permissions, so this is the one `Resource: "*"` the
    functions' roles share, acknowledged on this policy alone.
    """
    return child_once(stack, "XRayWritePolicy", iam.ManagedPolicy, lambda: _xray_write_policy(stack))


def _xray_write_policy(stack: cdk.Stack) -> iam.ManagedPolicy:
    policy = iam.ManagedPolicy(
        stack,
        "XRayWritePolicy",
        description="Lets the stack's Lambda functions send X-Ray trace segments and telemetry",
        statements=[iam.PolicyStatement(actions=list(FUNCTION_TRACING_ACTIONS), resources=["*"])],
    )
    acknowledge(
        policy,
        {
            "AwsSolutions-IAM5[Resource::*]": "xray:PutTraceSegments and xray:PutTelemetryRecords support no "
            "resource-level permissions; this policy holds only those two actions",
        },
    )
    return policy


def grant_logs_encrypt(key: kms.Key) -> None:
    """Let CloudWatch Logs in this account and region use `key` for log groups (required before a log group uses it)."""
    stack = cdk.Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"
                }
            },
        )
    )


def _check_vpc(vpc_subnet_ids: Sequence[str], security_group_ids: Sequence[str]) -> None:
    """A function is in a VPC with both subnets and security groups, or in neither."""
    if bool(vpc_subnet_ids) != bool(security_group_ids):
        raise PropsError(
            "PlatformFunction",
            [
                f"vpc_subnet_ids={list(vpc_subnet_ids)}, security_group_ids={list(security_group_ids)}: give "
                "both (a function in a VPC) or neither"
            ],
        )
