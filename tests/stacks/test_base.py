"""`CapabilityStack`: the one constructor of the capability stacks that take the config and the access-log stack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from sagemaker_platform.config import PlatformConfig, parse_config
from sagemaker_platform.stacks.access_logs import AccessLogsStack, shared_access_logs
from sagemaker_platform.stacks.base import CapabilityStack
from sagemaker_platform.stacks.gateway import GatewayStack
from sagemaker_platform.stacks.registry import RegistryStack
from sagemaker_platform.stacks.tuning import TuningStack


class _DemoStack(CapabilityStack):
    capability = "demo"

    def _description(self, config: PlatformConfig) -> str:
        return f"{config.name}: demo"

    def _build(self, config: PlatformConfig) -> None:
        self.built_for = config.name
        self.logs = shared_access_logs(self, self.access_logs)


def test_given_a_capability_stack_then_it_is_tagged_described_built_and_deploys_after_the_log_stack() -> None:
    config = parse_config({})
    app = cdk.App()
    logs = AccessLogsStack(app, "Logs", config=config)

    stack = _DemoStack(app, "Demo", config=config, access_logs=logs)

    assert stack.built_for == config.name
    assert stack.logs is not None and stack.logs.bucket_name == logs.bucket_name
    assert logs in stack.dependencies
    assert stack.template_options.description == f"{config.name}: demo"
    Template.from_stack(stack)  # synthesizes: the tag aspects run
    assert stack.tags.tag_values() == {"platform": config.name, "capability": "demo"}


def test_given_a_description_then_the_caller_s_wins_and_no_log_stack_means_none() -> None:
    config = parse_config({})
    stack = _DemoStack(cdk.App(), "Demo", config=config, description="given")

    assert stack.template_options.description == "given"
    assert stack.access_logs is None
    assert stack.logs is None


def test_the_capability_stacks_share_its_constructor() -> None:
    for stack_class in (GatewayStack, RegistryStack, TuningStack):
        assert issubclass(stack_class, CapabilityStack)
        assert stack_class.__init__ is CapabilityStack.__init__


def test_a_capability_stack_without_build_is_refused_where_it_is_defined() -> None:
    with pytest.raises(TypeError, match="_Unbuilt must define _build"):

        class _Unbuilt(CapabilityStack):
            capability = "unbuilt"
