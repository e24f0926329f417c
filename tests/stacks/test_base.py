"""`CapabilityStack`, the one constructor of the capability stacks that take the config and the access-log stack, and
`RegistryHome`, the one answer to where the model registry lives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Template

from sagemaker_platform import naming
from sagemaker_platform.config import PlatformConfig, parse_config
from sagemaker_platform.platform_app import platform_app
from sagemaker_platform.stacks.access_logs import AccessLogsStack, shared_access_logs
from sagemaker_platform.stacks.base import CapabilityStack, RegistryHome
from sagemaker_platform.stacks.gateway import GatewayStack
from sagemaker_platform.stacks.platform import build_platform
from sagemaker_platform.stacks.registry import RegistryStack
from sagemaker_platform.stacks.tuning import TuningStack
from tests.support import REPO_ROOT, feature_flags, templates_of


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


def _multi_account_config() -> PlatformConfig:
    """examples/multi-account.yaml without `pipeline`: every stack in the app itself, none in a pipeline stage."""
    raw = yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text())
    raw.pop("pipeline")
    return parse_config(raw)


def test_in_the_sandbox_the_registry_home_is_this_account_and_region() -> None:
    home = RegistryHome.of(parse_config({}))
    stack = cdk.Stack(cdk.App(), "EnvAgnostic")

    assert (home.account, home.region, home.named_account) == (cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION, None)
    # The tokens an env-agnostic stack's own `account` and `region` are: the stacks that used those are unchanged.
    assert (home.account, home.region) == (stack.account, stack.region)
    assert stack.resolve(home.account) == {"Ref": "AWS::AccountId"}


def test_with_accounts_the_registry_home_is_the_config_s_registry_account_and_region() -> None:
    config = _multi_account_config()
    assert config.accounts is not None

    home = RegistryHome.of(config)

    assert (home.account, home.region, home.named_account) == ("222222222222", "eu-west-1", "222222222222")
    assert home.artifacts_bucket_name(config.name) == naming.model_artifacts_bucket_name(
        config.name, "222222222222", "eu-west-1"
    )
    location = home.location(config.name, ("a", "b"))
    assert (location.account, location.region, location.model_package_groups) == (
        "222222222222",
        "eu-west-1",
        ("a", "b"),
    )


# The stacks that name the registry from another account or the sandbox: each asks RegistryHome.
_REGISTRY_USERS = {
    "mlplatform-deploy",
    "mlplatform-hosting-prod",
    "mlplatform-hosting-staging",
    "mlplatform-lifecycle-dev",
    "mlplatform-lifecycle-prod",
    "mlplatform-model-events",
    "mlplatform-studio",
    "mlplatform-tuning",
    "mlplatform-workload-access-dev",
    "mlplatform-workload-access-prod",
    "mlplatform-workload-access-staging",
}


def test_every_stack_names_the_registry_by_registry_home_and_no_other_way(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _multi_account_config()
    assert config.accounts is not None
    real, moved, moved_region = config.accounts.registry, "210987654321", "xx-registry-9"
    # Move the registry (as RegistryHome says) to another account and region: a stack that works out the
    # registry's home itself still names the config's registry account, or never names the moved one.
    monkeypatch.setattr(RegistryHome, "of", classmethod(lambda cls, _config: cls(moved, moved_region, moved)))
    app = platform_app(str(tmp_path), context=feature_flags())
    stacks = build_platform(app, config)
    templates = templates_of(app.synth())
    # Where the config's registry account stays legitimately: the registry account's own stacks, the CI roles
    # (they assume a CDK lookup role in every account) and a version pinned by its full ARN in the config.
    pinned = [str(entry.model_package_arn) for entry in config.endpoints if entry.model_package_arn is not None]
    own = {stack.stack_name for stack in stacks.values() if stack.account == real}
    own.add(stacks["ci"].stack_name)

    def names(account: str, template: dict[str, Any]) -> bool:
        text = json.dumps(template)
        for arn in pinned:
            text = text.replace(arn, "")
        return account in text

    naming_moved = {name for name, template in templates.items() if names(moved, template)}
    in_moved_region = {name for name, template in templates.items() if moved_region in json.dumps(template)}
    naming_real = {name for name, template in templates.items() if name not in own and names(real, template)}

    assert naming_moved == _REGISTRY_USERS
    # The deploy rules match on the account alone; the model events bus trusts a role (IAM is global).
    assert in_moved_region == _REGISTRY_USERS - {"mlplatform-deploy", "mlplatform-model-events"}
    assert naming_real == set()
