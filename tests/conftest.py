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

# The files that take longest, in seconds summed per file (`pytest --durations=0`, 2-core build machine, the
# figure after each name), longest first. `make test` runs `-n 2 --dist loadfile --no-loadscope-reorder`: the
# workers take whole files in collection order, so these go first (longest processing time first) and the two
# workers finish together, instead of one running a long file alone at the end (they sort last by name).
SLOWEST_FIRST = (
    "tests/test_compliance_audit.py",  # 30.9
    "tests/packaging/test_wheel.py",  # 30.0
    "tests/test_templates.py",  # 28.8
    "tests/lambda/test_deploy_faults.py",  # 26.2
    "tests/constructs/test_studio.py",  # 25.1
    "tests/test_event_journeys.py",  # 20.0
    "tests/lambda/test_gateway_faults.py",  # 19.6
    "tests/synthdiff/test_synthdiff.py",  # 19.1
    "tests/test_template_checkov.py",  # 17.1
    "tests/lambda/test_deploy_end_to_end.py",  # 16.1
    "tests/test_compliance_control_tower_jobs.py",  # 13.1
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of `SLOWEST_FIRST` first, in its order; the others after them as collected (a stable sort)."""
    rank = {path: index for index, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


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
