"""TrainingJobLauncher at scale: spot and distribution settings validated at construction, passed to the handler."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.tuning import TrainingJobLauncher, TuningStorage
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type


def _launcher_environment(**props: Any) -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Tuning")
    TrainingJobLauncher(
        stack, "Launcher", storage=TuningStorage(stack, "Storage"), image="sagemaker-xgboost:1.7-1", **props
    )
    add_compliance_gate(app)  # spot and distribution add no new permission: the gate stays green
    template = app.synth().get_stack_by_name("Tuning").template
    functions = resources_of_type(template, "AWS::Lambda::Function")
    (launcher,) = [f for key, f in functions.items() if key.startswith("LauncherFunction")]
    env: dict[str, Any] = launcher["Properties"]["Environment"]["Variables"]
    return env


def test_given_spot_and_distribution_then_the_handler_gets_the_wait_and_the_launch_hyperparameters() -> None:
    env = _launcher_environment(
        use_spot=True,
        keep_alive=cdk.Duration.seconds(0),
        max_run=cdk.Duration.hours(2),
        instance_type="ml.p4d.24xlarge",
        instance_count=2,
        distribution="torchrun",
    )
    assert env["USE_SPOT"] == "true" and env["MAX_WAIT_SECONDS"] == "14400"
    assert json.loads(env["DISTRIBUTION_HYPERPARAMETERS"]) == {
        "sagemaker_instance_type": '"ml.p4d.24xlarge"',
        "sagemaker_torch_distributed_enabled": "true",
    }


def test_given_the_defaults_then_no_spot_or_distribution_environment() -> None:
    env = _launcher_environment()
    assert not {"USE_SPOT", "MAX_WAIT_SECONDS", "DISTRIBUTION_HYPERPARAMETERS"} & set(env)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"use_spot": True}, "keep_alive=30 minutes: must be zero with use_spot=True"),
        (
            {"use_spot": True, "keep_alive": cdk.Duration.seconds(0), "max_wait": cdk.Duration.minutes(10)},
            "max_wait=600: must be >= max_run_seconds (3600)",
        ),
        ({"distribution": "pytorchddp"}, "distribution='pytorchddp': ml.m5.large has no suitable accelerator"),
        (
            {"distribution": "torchrun", "instance_type": "ml.g5.12xlarge", "instance_count": 2},
            "instance_type='ml.g5.12xlarge': distribution='torchrun' with instance_count=2 needs an EFA-capable type",
        ),
    ],
    ids=["spot-with-warm-pool", "wait-shorter-than-run", "cpu", "multi-node-without-efa"],
)
def test_given_bad_scaling_props_then_the_launcher_refuses_naming_the_prop(
    props: dict[str, Any], expected: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError) as caught:
        TrainingJobLauncher(
            stack, "Launcher", storage=TuningStorage(stack, "Storage"), image="sagemaker-xgboost:1.7-1", **props
        )
    assert expected in str(caught.value)


# --- warm-start chaining: the request builder may list tuning jobs, and the lookup is retried -----------


def test_the_request_builder_lists_tuning_jobs_read_only_and_the_state_machine_retries_only_the_lookup() -> None:
    from sagemaker_platform import tuning_spec
    from sagemaker_platform.constructs.tuning import TuningPipeline
    from tests.test_tuning_spec import custom_spec

    app = cdk.App()
    stack = cdk.Stack(app, "Tuning")
    spec = tuning_spec.parse_spec(
        custom_spec(name="digits-tl", warm_start={"type": "TRANSFER_LEARNING", "parent_spec": "digits-rf"})
    )
    TuningPipeline(stack, "Pipeline", storage=TuningStorage(stack, "Storage"), platform_name="p", specs=[spec])
    add_compliance_gate(app)
    template = app.synth().get_stack_by_name("Tuning").template
    granted = [
        (policy["Properties"]["Roles"], statement)
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:ListHyperParameterTuningJobs" in json.dumps(statement["Action"])
    ]
    assert len(granted) == 1  # the request builder's role alone, and nothing else in that statement
    roles, statement = granted[0]
    assert [role["Ref"] for role in roles] == [roles[0]["Ref"]] and roles[0]["Ref"].startswith("PipelineRequestBuilder")
    assert statement == {"Action": "sagemaker:ListHyperParameterTuningJobs", "Effect": "Allow", "Resource": "*"}
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    definition = json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in parts))
    retries = definition["States"]["BuildRequest"]["Retry"]
    assert {"AwsTransientError", "Lambda.TooManyRequestsException"} <= {
        error for retry in retries for error in retry["ErrorEquals"]
    }
    retried = {error for retry in retries for error in retry["ErrorEquals"]}
    # A missing parent or a bad spec is final (notified), never retried.
    final = {"States.ALL", "ParentNotFoundError", "InvalidSpecError", "States.TaskFailed", "AwsPermanentError"}
    assert not retried & final
