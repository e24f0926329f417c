"""The real CDK CLI on every shipped config, as a user runs it on a fresh clone with no AWS credentials.

`cli_synths` (a session fixture in conftest.py) runs `node_modules/.bin/cdk synth` once per shipped config
(cdk.json's `platform`, and every file in examples/) per test session, all at once, each into a temporary
directory: every AWS credential variable unset, the AWS config and credentials files empty, instance
metadata off, no telemetry, no notices. Tests read the templates it wrote, so what they check is what
`cdk synth` (and the CDK Pipelines synth step, which runs `make synth`) produces.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import cx_api

from tests.event_journeys import Stack
from tests.support import REPO_ROOT, templates_of

DEFAULT_CONFIG = "cdk.json"
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
# Lookup providers whose answers `cdk synth` would otherwise read from a cdk.context.json (not committed).
LOOKUP_KEY_PREFIXES = ("availability-zones:", "vpc-provider:", "ami:", "hosted-zone:", "ssm:", "security-group:")


def shipped_configs() -> list[str]:
    """`cdk.json` (the default config) and every file in examples/, as `-c config=` takes them."""
    examples = sorted(p for p in (REPO_ROOT / "examples").iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    return [DEFAULT_CONFIG, *(str(p.relative_to(REPO_ROOT)) for p in examples)]


def offline_environment(scratch: Path) -> dict[str, str]:
    """This process's environment with no way to reach an AWS account: no AWS_* variable, empty AWS files."""
    empty = scratch / "empty-aws-file"
    empty.write_text("")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= {
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    return env


@dataclass
class CliSynth:
    """One `cdk synth` run: its command, exit code, output (stdout and stderr), duration and cloud assembly."""

    config: str
    command: list[str]
    returncode: int
    output: str
    seconds: float
    outdir: Path
    _templates: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.outdir / "manifest.json").read_text())

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        """Every template by stack name (pipeline stages and nested stacks included)."""
        if self._templates is None:
            self._templates = templates_of(cx_api.CloudAssembly(str(self.outdir)))
        return self._templates

    def stacks(self) -> list[Stack]:
        """Every stack with the account it deploys to (`<AWS::AccountId>` for an env-agnostic stack)."""
        assembly = cx_api.CloudAssembly(str(self.outdir))
        templates = self.templates
        found = []
        for stack in assembly.stacks_recursively:
            account = stack.environment.account
            agnostic = account in ("unknown-account", "") or account.startswith("${")
            found.append(
                Stack(stack.stack_name, "<AWS::AccountId>" if agnostic else account, templates[stack.stack_name])
            )
        return found

    def describe(self) -> str:
        return f"{' '.join(self.command)} (exit {self.returncode}, {self.seconds:.0f} s):\n{self.output[-4000:]}"


def cached_lookups() -> list[str]:
    """Lookup answers in a local cdk.context.json: with them, a lookup would pass unnoticed."""
    path = REPO_ROOT / "cdk.context.json"
    if not path.exists():
        return []
    return sorted(key for key in json.loads(path.read_text()) if key.startswith(LOOKUP_KEY_PREFIXES))


def shared_cli_synths(configs: list[str], cache: Path) -> dict[str, CliSynth]:
    """`run_cli_synths` once for every test process of a session (pytest-xdist workers share `cache`).

    The first process to take the lock synthesizes and writes `results.json`; the others wait for the lock
    and read it, so each shipped config is synthesized once per session however many workers run.
    """
    from filelock import FileLock

    cache.mkdir(parents=True, exist_ok=True)
    results_file = cache / "results.json"
    with FileLock(str(cache / ".lock")):
        if not results_file.exists():
            results = run_cli_synths(configs, cache)
            results_file.write_text(
                json.dumps(
                    {
                        config: {
                            "command": r.command,
                            "returncode": r.returncode,
                            "output": r.output,
                            "seconds": r.seconds,
                            "outdir": str(r.outdir),
                        }
                        for config, r in results.items()
                    }
                )
            )
    stored = json.loads(results_file.read_text())
    return {
        config: CliSynth(config, v["command"], v["returncode"], v["output"], v["seconds"], Path(v["outdir"]))
        for config, v in stored.items()
    }


def run_cli_synths(configs: list[str], scratch: Path) -> dict[str, CliSynth]:
    """`cdk synth` of each config, started together (each is mostly a single-threaded Python app)."""
    env = offline_environment(scratch)
    running: dict[str, tuple[list[str], Path, subprocess.Popen[str], float]] = {}
    for index, config in enumerate(configs):
        outdir = scratch / f"cdk.out-{index}"
        command = [str(CDK.relative_to(REPO_ROOT)), "synth", "--no-notices", "--quiet", "-o", str(outdir)]
        if config != DEFAULT_CONFIG:
            command += ["-c", f"config={config}"]
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        running[config] = (command, outdir, process, time.monotonic())
    results = {}
    for config, (command, outdir, process, started) in running.items():
        output, _ = process.communicate(timeout=900)
        results[config] = CliSynth(config, command, process.returncode, output, time.monotonic() - started, outdir)
    return results
