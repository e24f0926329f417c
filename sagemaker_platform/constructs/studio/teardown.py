"""Lifecycle custom resources of the Studio domain: the Provider framework, domain teardown, projects.

With `removal_policy=DESTROY`, deleting the stack deletes the domain's apps, spaces, profiles, the domain,
its home file system and SageMaker's two NFS security groups, in that order; otherwise the domain keeps
its network and roles (`_retain_with_domain`).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import IConstruct

from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, skip_checkov
from sagemaker_platform.constructs.common import dead_letter_queue
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.function_network import FunctionPlacement
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.studio.actions import (
    LIST_ACTIONS,
    OWN_PROJECT_PATTERN,
    PROJECT_ACTIONS,
    PROJECT_LIST_ACTIONS,
    PROJECTS_ACCOUNT_ACTIONS,
    PROJECTS_PORTFOLIO_ACTIONS,
    TEARDOWN_EFS_DELETE_ACTIONS,
    TEARDOWN_EFS_DESCRIBE_ACTIONS,
    TEARDOWN_SAGEMAKER_ACTIONS,
    TEARDOWN_SG_ACTIONS,
    TEARDOWN_WAITER_TRACING_ACTIONS,
)
from sagemaker_platform.constructs.studio.nag import (
    domain_wildcard_reasons,
    invoke_finding,
    nag_render,
    wildcard_finding,
)
from sagemaker_platform.constructs.studio.user_settings import _StudioUserSettings


def lifecycle_services(enable_projects: bool) -> tuple[str, ...]:
    """What the lifecycle functions call in a VPC: the handler SageMaker, EC2 (the NFS groups), EFS (the home file
    system) and, with projects, Service Catalog; the Provider framework Lambda (its handlers) and Step Functions."""
    return ("sagemaker.api", "ec2", "elasticfilesystem", "lambda", "states") + (
        ("servicecatalog",) if enable_projects else ()
    )


class _StudioTeardown(_StudioUserSettings):
    """The lifecycle custom resources part of `StudioDomain` (profile cleanup is in `profiles`)."""

    provider: cr.Provider
    shards: list[cdk.NestedStack]
    _teardown_functions: dict[str, PlatformFunction]
    _lifecycle_roles: list[IConstruct]

    def _render_provider(self, stack: cdk.Stack) -> cr.Provider:
        """The Provider framework behind profile cleanup, domain teardown and projects enablement."""
        functions = {
            phase: PlatformFunction(
                self,
                f"Teardown{phase.title().replace('_', '')}",
                handler_name="studio_teardown",
                key=self._ops_key,
                description=f"Studio domain lifecycle ({phase.replace('_', '-')}): deletes apps, spaces, "
                "profiles, the domain and its file system in order",
                timeout=cdk.Duration.minutes(5),
                environment={"STUDIO_TEARDOWN_PHASE": phase},
            )
            for phase in ("on_event", "is_complete")
        }
        self._teardown_functions = functions
        # Roles of our own (PlatformRole) for the framework functions: their grants land in customer managed
        # policies. Two roles, as the framework expects: one shared role would form a dependency cycle.
        on_event_role = PlatformRole(
            self,
            "ProviderOnEventRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Studio lifecycle Provider framework: onEvent function",
        )
        waiter_role = PlatformRole(
            self,
            "ProviderWaiterRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Studio lifecycle Provider framework: isComplete and onTimeout functions",
        )
        framework_logs = self._render_log_group("ProviderLogs")
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=functions["on_event"].function,
            is_complete_handler=functions["is_complete"].function,
            query_interval=cdk.Duration.seconds(30),
            # Deleting a domain's apps, spaces and profiles, then the domain and its EFS, takes tens of minutes.
            total_timeout=cdk.Duration.hours(2),
            framework_on_event_role=on_event_role,
            framework_complete_and_timeout_role=waiter_role,
            provider_function_env_encryption=self._ops_key,
            log_group=framework_logs,
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=framework_logs, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
        )
        # Only isComplete calls AWS (`studio_lifecycle.handler`: onEvent just names the physical resource),
        # so only its role may delete the domain, its file system and groups, and share the portfolio.
        self._grant_teardown(functions["is_complete"].role, stack)
        self._bound_framework_functions(provider, on_event_role, functions)
        in_vpc = self._place_framework_functions(provider, on_event_role, waiter_role)
        self._acknowledge_provider(provider, in_vpc=in_vpc)
        # Grants land in managed policies that nothing else depends on: without these dependencies,
        # CloudFormation may delete a policy while a teardown is still running under it.
        self._lifecycle_roles: list[IConstruct] = [on_event_role, waiter_role, *(fn.role for fn in functions.values())]
        return provider

    def _place_framework_functions(
        self, provider: cr.Provider, on_event_role: iam.IRole, waiter_role: iam.IRole
    ) -> bool:
        """The framework's functions where the handlers run (`FunctionPlacement` of this scope), if anywhere."""
        placement = FunctionPlacement.of(self)
        if placement is None:
            return False
        for name, role in (
            ("framework-onEvent", on_event_role),
            ("framework-isComplete", waiter_role),
            ("framework-onTimeout", waiter_role),
        ):
            framework_function = provider.node.find_child(name)
            assert isinstance(framework_function, lambda_.Function)
            placement.place(framework_function, role)
        return True

    def _bound_framework_functions(
        self, provider: cr.Provider, on_event_role: iam.IRole, functions: dict[str, PlatformFunction]
    ) -> None:
        """Reserved concurrency and, for onEvent, a dead-letter queue on the framework's own functions.

        Each framework function only calls its handler synchronously, so it gets the handler's reserved
        concurrency: the same bound, enforced one hop earlier. CloudFormation invokes onEvent asynchronously
        (Lambda retries it twice, then drops the event and the stack waits out its timeout): its dead-letter
        queue keeps that event. isComplete and onTimeout are called synchronously by the waiter state machine.
        """
        handler_for = {
            "framework-onEvent": functions["on_event"],
            "framework-isComplete": functions["is_complete"],
            "framework-onTimeout": functions["is_complete"],
        }
        for name, handler in handler_for.items():
            cfn = provider.node.find_child(name).node.default_child
            assert isinstance(cfn, lambda_.CfnFunction)
            handler_cfn = handler.function.node.default_child
            assert isinstance(handler_cfn, lambda_.CfnFunction)
            cfn.reserved_concurrent_executions = handler_cfn.reserved_concurrent_executions
        queue = dead_letter_queue(
            self,
            "ProviderOnEventDeadLetters",
            self._ops_key,
            of="the Provider framework's onEvent function",
            cdk_nag=False,
        )
        queue.grant_send_messages(on_event_role)
        on_event = provider.node.find_child("framework-onEvent").node.default_child
        assert isinstance(on_event, lambda_.CfnFunction)
        on_event.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(target_arn=queue.queue_arn)

    def _acknowledge_provider(self, provider: cr.Provider, *, in_vpc: bool) -> None:
        """The Provider framework's own findings, each on the framework resource that causes it."""
        framework = "the CDK Provider framework function"
        synchronous = f"{framework} is invoked synchronously by the waiter state machine, which records failures"
        outside = f"{framework} calls only Lambda and Step Functions APIs"
        for name in ("framework-onEvent", "framework-isComplete", "framework-onTimeout"):
            reasons: dict[str, str] = {}
            checkov: dict[str, str] = {}
            if not in_vpc:
                reasons = {
                    "HIPAA.Security-LambdaInsideVPC": outside,
                    "NIST.800.53.R5-LambdaInsideVPC": outside,
                    f"{CONTROL_TOWER}lambda_inside_vpc_check": outside,
                }
                checkov = {"CKV_AWS_117": outside}
            if name != "framework-onEvent":  # onEvent has its dead-letter queue (`_bound_framework_functions`)
                reasons |= {"HIPAA.Security-LambdaDLQ": synchronous, "NIST.800.53.R5-LambdaDLQ": synchronous}
                checkov["CKV_AWS_116"] = synchronous
            acknowledge(provider.node.find_child(name), reasons)
            if checkov:
                skip_checkov(provider.node.find_child(name), checkov)
        self._acknowledge_waiter(provider)

    def _acknowledge_waiter(self, provider: cr.Provider) -> None:
        """The findings of the Provider framework's waiter state machine, on that state machine."""
        stack = cdk.Stack.of(self)
        state_machine = provider.node.find_child("waiter-state-machine")
        # The framework has no tracing setting for its waiter: traced on the L1, with the X-Ray write actions on its
        # role (no cost while no teardown runs).
        cfn_state_machine = state_machine.node.find_child("Resource")
        assert isinstance(cfn_state_machine, sfn.CfnStateMachine)
        cfn_state_machine.tracing_configuration = sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True)
        waiter_role = state_machine.node.find_child("Role")
        assert isinstance(waiter_role, iam.Role)
        waiter_role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(TEARDOWN_WAITER_TRACING_ACTIONS), resources=["*"])
        )
        skip_checkov(
            waiter_role.node.find_child("DefaultPolicy"),
            {
                "CKV_AWS_111": "CloudWatch Logs delivery and X-Ray actions of the state machine's logging and tracing "
                "support no resource ARNs"
            },
        )
        framework_fns = [provider.node.find_child(n) for n in ("framework-isComplete", "framework-onTimeout")]
        acknowledge(
            state_machine,
            {
                "AwsSolutions-IAM5[Resource::*]": "CloudWatch Logs delivery actions of the waiter state machine's "
                "logging (logs:CreateLogDelivery, ...) and X-Ray's trace actions support no resource-level "
                "permissions",
                "HIPAA.Security-IAMNoInlinePolicy": "the Provider framework creates the waiter state machine's role "
                "and its policy; it accepts no role of ours",
                "NIST.800.53.R5-IAMNoInlinePolicy": "the Provider framework creates the waiter state machine's role "
                "and its policy; it accepts no role of ours",
                **{
                    invoke_finding(stack, fn): "lambda:InvokeFunction on the versions of the framework's own "
                    "waiter function"
                    for fn in framework_fns
                },
            },
        )

    def _grant_teardown(self, role: iam.IRole, stack: cdk.Stack) -> None:
        arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
        domain_id = self.domain_id
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TEARDOWN_SAGEMAKER_ACTIONS,
                resources=[
                    f"{arn}:domain/{domain_id}",
                    f"{arn}:app/{domain_id}/*",
                    f"{arn}:space/{domain_id}/*",
                    f"{arn}:user-profile/{domain_id}/*",
                ],
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=LIST_ACTIONS, resources=["*"]))
        # The domain's own home file system, the only one the handler touches (its id is a domain attribute).
        file_systems = (
            f"arn:{stack.partition}:elasticfilesystem:{stack.region}:{stack.account}:"
            f"file-system/{self.domain.attr_home_efs_file_system_id}"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=TEARDOWN_EFS_DESCRIBE_ACTIONS, resources=[file_systems])
        )
        # SageMaker tags the home file system it creates with the domain's ARN: only that one can be deleted.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TEARDOWN_EFS_DELETE_ACTIONS,
                resources=[file_systems],
                conditions={"StringEquals": {"aws:ResourceTag/ManagedByAmazonSageMakerResource": self.domain_arn}},
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["ec2:DescribeSecurityGroups"], resources=["*"]))
        acknowledge(
            role,
            {
                **domain_wildcard_reasons(stack, self._domain_ref()),
                "AwsSolutions-IAM5[Resource::*]": "SageMaker List* and ec2:DescribeSecurityGroups support no "
                "resource-level permissions",
                wildcard_finding(
                    stack, "ec2", "security-group/*"
                ): "SageMaker's NFS security groups are created at run time; limited to this VPC "
                "by the ec2:Vpc condition, and the handler deletes only the two named for this domain",
            },
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TEARDOWN_SG_ACTIONS,
                resources=[f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:security-group/*"],
                conditions={
                    "StringEquals": {
                        "ec2:Vpc": f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:vpc/{self.vpc.vpc_id}"
                    }
                },
            )
        )

    def _retain_with_domain(self, removal_policy: cdk.RemovalPolicy) -> None:
        """A retained domain keeps what it runs with: its network and its execution roles.

        Deleting the VPC, subnets and groups under a retained domain would fail anyway (its EFS mount targets
        and app ENIs sit in them), leaving the stack in DELETE_FAILED; without its execution roles the
        retained domain and profiles could not start an app. Retained, the domain keeps working.
        """
        for construct in self._kept:
            for child in construct.node.find_all():
                if isinstance(child, cdk.CfnResource):
                    child.apply_removal_policy(removal_policy)

    def _render_domain_teardown(self) -> None:
        teardown = self._render_lifecycle_resource(
            "DomainTeardown",
            DomainId=self.domain_id,
            HomeEfsFileSystemId=self.domain.attr_home_efs_file_system_id,
            VpcId=self.vpc.vpc_id,
        )
        # Created after, so deleted before, the profiles' nested stacks and the domain.
        for shard in self.shards:
            teardown.node.add_dependency(shard)
        teardown.node.add_dependency(self.domain, *self._lifecycle_roles)

    def _render_projects(self) -> None:
        stack = cdk.Stack.of(self)
        roles = [*self.persona_roles.values(), *self.user_profile_roles.values()]
        # Every role of `roles` is a domain member (`member_policy`). A user's own projects only: named
        # `<user profile>-...`, the profile being the session's aws:SourceIdentity (the domain's
        # ExecutionRoleIdentityConfig), so a shared persona role still keeps one user off another's projects.
        self.add_to_member_policy(
            iam.PolicyStatement(
                actions=PROJECT_ACTIONS,
                resources=[
                    f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:project/{OWN_PROJECT_PATTERN}"
                ],
            ),
            "the user's own projects: named with the user's profile name (the session's aws:SourceIdentity) "
            "as prefix, the rest chosen at run time",
        )
        self.add_to_member_policy(
            iam.PolicyStatement(actions=PROJECT_LIST_ACTIONS, resources=["*"]),
            "ListProjects and the Service Catalog product searches and descriptions behind the Projects "
            "page support no resource-level permissions",
        )
        # A policy of its own, so that the checkov skip for the account-level actions covers nothing else.
        portfolios = f"arn:{stack.partition}:catalog:{stack.region}:*:portfolio/*"
        projects_policy = iam.ManagedPolicy(
            self,
            "ProjectsPolicy",
            description="Enable the SageMaker Projects portfolio and share it with the domain's execution roles",
            statements=[
                iam.PolicyStatement(actions=PROJECTS_ACCOUNT_ACTIONS, resources=["*"]),
                iam.PolicyStatement(actions=PROJECTS_PORTFOLIO_ACTIONS, resources=[portfolios]),
            ],
            roles=[self._teardown_functions["is_complete"].role],
        )
        account_level = "EnableSagemakerServicecatalogPortfolio and its status have no resource type"
        skip_checkov(projects_policy, {"CKV_AWS_111": account_level})
        acknowledge(
            projects_policy,
            {
                "AwsSolutions-IAM5[Resource::*]": account_level,
                f"AwsSolutions-IAM5[Resource::{nag_render(stack.resolve(portfolios))}]": "the SageMaker portfolio "
                "is shared from an AWS-owned account and gets its id when Projects is enabled",
            },
        )
        projects = self._render_lifecycle_resource("Projects", PrincipalArns=[role.role_arn for role in roles])
        projects.node.add_dependency(projects_policy, *self._lifecycle_roles)

    def _render_lifecycle_resource(self, kind: str, **properties: object) -> cdk.CustomResource:
        """A custom resource of the lifecycle Provider: construct id `kind`, type `Custom::Studio<kind>`.

        The handler dispatches on the `Kind` property (profile cleanup, domain teardown, projects).
        """
        return cdk.CustomResource(
            self,
            kind,
            service_token=self.provider.service_token,
            resource_type=f"Custom::Studio{kind}",
            properties={"Kind": kind, **properties},
        )
