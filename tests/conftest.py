"""Stack factories: each app is synthesized once per test session and shared by every test that reads it."""

from __future__ import annotations

import os

# Before aws_cdk loads jsii: no Node end-of-life banner in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import cx_api

from tests.cli_synth import DEFAULT_CONFIG, CliSynth, shared_cli_synths, shipped_configs
from tests.event_journeys import Stack
from tests.support import REPO_ROOT, default_config_raw, synth_platform_app, templates_of


def _session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every test process of this session shares (pytest-xdist workers have one base temp each)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _cli_assembly(synth: CliSynth) -> cx_api.CloudAssembly:
    if synth.returncode != 0:
        pytest.fail(f"`{' '.join(synth.command)}` exited {synth.returncode}:\n{synth.output[-4000:]}")
    return cx_api.CloudAssembly(str(synth.outdir))


@pytest.fixture(scope="session")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, cx_api.CloudAssembly]:
    """(app, assembly) of the reference app with the default (sandbox) config of cdk.json, compliance gate on,
    synthesized in this process: for the tests that read the construct tree (the compliance audit)."""
    return synth_platform_app(default_config_raw(), tmp_path_factory.mktemp("default") / "cdk.out")


@pytest.fixture(scope="session")
def default_assembly(cli_synths: dict[str, CliSynth]) -> cx_api.CloudAssembly:
    """The reference app with the default (sandbox) config of cdk.json, compliance gate on: what `cdk synth`
    wrote (the CLI run of this session, shared by every test that reads templates)."""
    return _cli_assembly(cli_synths[DEFAULT_CONFIG])


@pytest.fixture(scope="session")
def default_templates(default_assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    return templates_of(default_assembly)


@pytest.fixture(scope="session")
def multi_account_raw() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text())


@pytest.fixture(scope="session")
def multi_account_app(
    tmp_path_factory: pytest.TempPathFactory, multi_account_raw: dict[str, Any]
) -> tuple[Any, cx_api.CloudAssembly]:
    """(app, assembly) of the reference app with examples/multi-account.yaml, gate on."""
    return synth_platform_app(multi_account_raw, tmp_path_factory.mktemp("multi") / "cdk.out")


@pytest.fixture(scope="session")
def multi_account_assembly(cli_synths: dict[str, CliSynth]) -> cx_api.CloudAssembly:
    """The reference app with examples/multi-account.yaml (every stack pinned to an account), gate on: what
    `cdk synth -c config=examples/multi-account.yaml` wrote."""
    return _cli_assembly(cli_synths["examples/multi-account.yaml"])


@pytest.fixture(scope="session")
def multi_account_templates(multi_account_assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    return templates_of(multi_account_assembly)


@pytest.fixture(scope="session")
def assembly_dirs(default_assembly: cx_api.CloudAssembly, multi_account_assembly: cx_api.CloudAssembly) -> list[Path]:
    return [Path(default_assembly.directory), Path(multi_account_assembly.directory)]


@pytest.fixture(scope="session")
def cli_synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliSynth]:
    """`cdk synth` through the real CLI of every shipped config, offline, once per session (tests/cli_synth.py)."""
    return shared_cli_synths(shipped_configs(), _session_root(tmp_path_factory) / "cli-synth")


@pytest.fixture(scope="session")
def cli_default_stacks(cli_synths: dict[str, CliSynth]) -> list[Stack]:
    """The CLI-synthesized stacks of the default config (cdk.json), with the account each deploys to."""
    return cli_synths[DEFAULT_CONFIG].stacks()


@pytest.fixture(scope="session")
def cli_multi_account_stacks(cli_synths: dict[str, CliSynth]) -> list[Stack]:
    """The CLI-synthesized stacks of examples/multi-account.yaml, with the account each deploys to."""
    return cli_synths["examples/multi-account.yaml"].stacks()
