"""The reference app's pipeline knows which stages hold stacks from the config, without building any stage twice."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.stacks import build_platform
from sagemaker_platform.stacks import pipeline as pipeline_module
from sagemaker_platform.stacks.base import AccountRole, Phase
from sagemaker_platform.stacks.platform import planned_stages
from tests.stacks.test_pipeline import CONNECTION
from tests.support import ACCOUNTS

ONLY_THE_PIPELINE = {
    "name": "mlp",
    "region": "eu-west-1",
    "accounts": ACCOUNTS,
    "pipeline": {"source": "connection", "repository": "org/platform", "connection_arn": CONNECTION},
}


def _probed(raw: dict[str, Any]) -> set[tuple[AccountRole, Phase]]:
    """The stages a scratch build of each (role, phase) fills: what the pipeline asked before it had a plan."""
    config = parse_config(raw)
    return {
        (role, phase)
        for _, role, phase in pipeline_module.STAGE_ORDER
        if pipeline_module._builds_stacks(
            lambda stage, r, p: build_platform(stage, config, account=r, phase=p), role, phase
        )
    }


@pytest.mark.parametrize("example", ["multi-account", "only-the-pipeline"])
def test_given_a_config_then_the_planned_stages_are_those_a_build_fills(
    example: str, multi_account_raw: dict[str, Any]
) -> None:
    raw = multi_account_raw if example == "multi-account" else ONLY_THE_PIPELINE
    stage_keys = {(role, phase) for _, role, phase in pipeline_module.STAGE_ORDER}
    assert planned_stages(parse_config(raw)) & stage_keys == _probed(raw)


def test_given_the_reference_app_then_each_stage_is_built_once(
    monkeypatch: pytest.MonkeyPatch, multi_account_raw: dict[str, Any], tmp_path: Any
) -> None:
    built: list[tuple[str, str]] = []
    real = pipeline_module.PlatformStage.__init__

    def counting(self: Any, scope: Any, id: str, **kwargs: Any) -> None:
        built.append((kwargs["account"], kwargs.get("phase", "resources")))
        real(self, scope, id, **kwargs)

    monkeypatch.setattr(pipeline_module.PlatformStage, "__init__", counting)
    monkeypatch.setattr(pipeline_module, "_builds_stacks", lambda *_: pytest.fail("a stage was probed"))
    build_platform(cdk.App(outdir=str(tmp_path)), parse_config(multi_account_raw))
    assert sorted(built) == sorted(_expected_stages(multi_account_raw))


def _expected_stages(raw: dict[str, Any]) -> set[tuple[AccountRole, Phase]]:
    stage_keys = {(role, phase) for _, role, phase in pipeline_module.STAGE_ORDER}
    return planned_stages(parse_config(raw)) & stage_keys
