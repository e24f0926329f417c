"""The lifecycle stacks in the reference app: pipelines where the config puts them, schedules that start them,
and the path a pipeline takes through roles to the registry."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import cx_api

from sagemaker_platform import naming
from tests.lifecycle_support import all_steps, pipelines_of
from tests.registry_helpers import text
from tests.stacks.test_wiring import arn, identity_statements, role_statements, roles_by_name
from tests.support import ACCOUNTS, resources_of_type
from tests.wiring_helpers import allows, as_list

P = "mlplatform"
PIPELINE_ARN = re.compile(r"^arn:.+:sagemaker:.+:(?P<account><AWS::AccountId>|\d{12}):pipeline/(?P<name>.+)$")


def _stacks(assembly: cx_api.CloudAssembly) -> list[tuple[str, str, dict[str, Any]]]:
    """(stack name, account or '<AWS::AccountId>', template) of every stack, pipeline stages included."""
    found = []
    for stack in assembly.stacks_recursively:
        account = stack.environment.account
        found.append(
            (stack.stack_name, "<AWS::AccountId>" if account == "unknown-account" else account, stack.template)
        )
    return found


def _pipeline_targets(template: dict[str, Any]) -> list[str]:
    targets = [
        text(s["Properties"]["Target"]["Arn"]) for s in resources_of_type(template, "AWS::Scheduler::Schedule").values()
    ]
    for rule in resources_of_type(template, "AWS::Events::Rule").values():
        targets += [text(t["Arn"]) for t in rule["Properties"].get("Targets", [])]
    return [target for target in targets if ":pipeline/" in target]


def _assert_every_pipeline_target_is_created(assembly: cx_api.CloudAssembly) -> int:
    stacks = _stacks(assembly)
    created = {(account, name.lower()) for _, account, template in stacks for name in pipelines_of(template)}
    checked = 0
    for stack_name, _, template in stacks:
        for target in _pipeline_targets(template):
            match = PIPELINE_ARN.match(target)
            assert match is not None, target
            assert (match.group("account"), match.group("name")) in created, (stack_name, target, sorted(created))
            checked += 1
    return checked


def test_every_schedule_and_rule_that_starts_a_pipeline_targets_one_the_app_creates(
    default_assembly: cx_api.CloudAssembly, multi_account_assembly: cx_api.CloudAssembly
) -> None:
    assert _assert_every_pipeline_target_is_created(default_assembly) >= 2  # the schedule and the retrain rule
    assert _assert_every_pipeline_target_is_created(multi_account_assembly) >= 3


def test_the_default_app_builds_a_gated_build_pipeline_and_a_batch_transform_pipeline(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    pipelines = pipelines_of(default_templates[f"{P}-lifecycle"])
    assert sorted(pipelines) == ["churn-batch-inference", "churn-train"]
    build_types = [s["Type"] for s in all_steps(pipelines["churn-train"]["Steps"])]
    assert {"Training", "Condition", "RegisterModel"} <= set(build_types)
    assert [s["Type"] for s in pipelines["churn-batch-inference"]["Steps"]][-1] == "Transform"
    monitors = resources_of_type(default_templates[f"{P}-lifecycle"], "AWS::SageMaker::DataQualityJobDefinition")
    assert [m["Properties"]["DataQualityJobInput"]["EndpointInput"]["EndpointName"] for m in monitors.values()] == [
        naming.endpoint_name(P, "churn-async", "prod")
    ]


def test_the_multi_account_example_builds_in_dev_and_scores_in_prod(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    assert sorted(pipelines_of(multi_account_templates[f"{P}-lifecycle-dev"])) == ["churn-train"]
    assert sorted(pipelines_of(multi_account_templates[f"{P}-lifecycle-prod"])) == ["churn-batch-inference"]
    monitors = resources_of_type(
        multi_account_templates[f"{P}-lifecycle-prod"], "AWS::SageMaker::DataQualityJobDefinition"
    )
    assert len(monitors) == 2
    # Both prod monitors (fraud-realtime, churn-realtime) check model quality too; the dev account (where the
    # build runs) monitors nothing, and its build registers the model quality baseline churn-realtime's reads.
    for stage, count in (("prod", 2), ("dev", 0)):
        quality = resources_of_type(
            multi_account_templates[f"{P}-lifecycle-{stage}"], "AWS::SageMaker::ModelQualityJobDefinition"
        )
        assert len(quality) == count, stage
    assert not any("lifecycle" in name for name in multi_account_templates if name.endswith(("-staging", "-tooling")))
    build = pipelines_of(multi_account_templates[f"{P}-lifecycle-dev"])["churn-train"]
    assert "ModelQualityBaseline" in [step["Name"] for step in all_steps(build["Steps"])]


def test_journey_a_build_pipeline_runs_its_jobs_and_reads_the_registry_as_the_pipeline_step_role(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    account, region = "<AWS::AccountId>", "<AWS::Region>"
    lifecycle = default_templates[f"{P}-lifecycle"]
    step_name = naming.pipeline_step_role_name(P)
    step_arn = arn(f"iam::{account}:role/{step_name}")
    # 1. The pipeline runs as the pipeline-step role.
    roles = {
        text(r["Properties"]["RoleArn"]) for r in resources_of_type(lifecycle, "AWS::SageMaker::Pipeline").values()
    }
    assert roles == {step_arn}
    # 2. This stack's policy, attached to that role by name, lets it start its jobs, pass the job role and
    #    invoke the lookup function; nothing beyond the jobs SageMaker Pipelines names.
    attached = [
        statement
        for policy in resources_of_type(lifecycle, "AWS::IAM::ManagedPolicy").values()
        if policy["Properties"].get("Roles") == [step_name]
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    job = arn(f"sagemaker:{region}:{account}:training-job/pipelines-abc123-train-xyz")
    assert allows(attached, "sagemaker:CreateTrainingJob", job)
    assert not allows(attached, "sagemaker:CreateTrainingJob", arn(f"sagemaker:{region}:{account}:training-job/other"))
    assert allows(
        attached,
        "iam:PassRole",
        arn(f"iam::{account}:role/{naming.sagemaker_execution_role_name(P)}"),
        {"iam:PassedToService": "sagemaker.amazonaws.com"},
    )
    lookup_id = next(iter(resources_of_type(lifecycle, "AWS::Lambda::Function")))
    assert allows(attached, "lambda:InvokeFunction", f"<{lookup_id}.Arn>")
    # 3. The lookup function's role lists and describes the group's versions (the registry grants it too:
    #    tests/stacks/test_registry.py), nothing else of SageMaker.
    group = arn(f"sagemaker:{region}:{account}:model-package-group/churn")
    lookup_role = role_statements(lifecycle, naming.lifecycle_lookup_role_name(P))
    assert allows(lookup_role, "sagemaker:ListModelPackages", group)
    assert allows(
        lookup_role, "sagemaker:DescribeModelPackage", arn(f"sagemaker:{region}:{account}:model-package/churn/4")
    )
    assert not allows(lookup_role, "sagemaker:CreateModelPackage", group)
    # 4. The pipeline-step role registers challengers as pending only.
    workload = default_templates[f"{P}-workload-access"]
    step = identity_statements(workload, roles_by_name(workload)[step_name])
    assert allows(
        step,
        "sagemaker:CreateModelPackage",
        group,
        {"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
    )
    assert not allows(step, "sagemaker:CreateModelPackage", group, {"sagemaker:ModelApprovalStatus": "Approved"})


def test_journey_prod_batch_scoring_may_create_a_model_from_a_central_registry_version(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    workload = multi_account_templates[f"{P}-workload-access-prod"]
    step = identity_statements(workload, roles_by_name(workload)[naming.pipeline_step_role_name(P)])
    version = arn(f"sagemaker:eu-west-1:{ACCOUNTS['registry']}:model-package/churn/3")
    assert allows(step, "sagemaker:CreateModel", version)
    assert not allows(
        step,
        "sagemaker:CreateModelPackage",
        arn(f"sagemaker:eu-west-1:{ACCOUNTS['registry']}:model-package-group/churn"),
    )
