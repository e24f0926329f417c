"""Runs the Control Tower pack's own code on jobs in parallel worker processes.

`CfnGuardValidator` spawns its bundled cfn-guard once, from the jsii kernel, for every template and rule file:
one core works while the others wait. Here the same plugin code (its JavaScript and cfn-guard binary, unpacked
once from the jsii tarball into a per-version cache) runs in `node` worker processes: each job is one
`CfnGuardValidator({disabledRules}).validate({templatePaths})` call (one cfn-guard run). The jobs are handed out
heaviest first, one at a time, to whichever worker is free: a job's weight is only an estimate (cfn-guard spends
five times longer per byte on some rule files than on others), so a worker that drew a heavy job takes fewer.
The reports come back in job order, whatever the number of workers; `sagemaker_platform.control_tower_jobs` makes
the jobs and joins their reports.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

# Reads one job a line from stdin, validates its templates with the plugin's own class and prints the report as
# one line of JSON (which escapes every newline in it); ends with stdin.
_WORKER = """
const { CfnGuardValidator } = require(process.argv[1]);
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { templatePaths, disabledRules } = JSON.parse(line);
  const report = new CfnGuardValidator({ disabledRules }).validate({ templatePaths });
  process.stdout.write(JSON.stringify(report) + '\\n');
});
"""
# What the plugin needs at run time: its modules, package.json (its version), the rules, this platform's binaries.
_NEEDED = ("package/lib/", "package/package.json", "package/rules/control-tower/cfn-guard/")
_PLATFORMS = {"Linux": "ubuntu", "Darwin": "macos"}  # the plugin's own names for its binary folders


@dataclass(frozen=True)
class Job:
    """Validate templates (one cfn-guard run) with every bundled rule file except `disabled_rules` (file names
    without `.guard`)."""

    template_paths: tuple[str, ...]
    disabled_rules: tuple[str, ...] = ()
    weight: float = field(default=1.0, compare=False)  # relative cost, to balance the workers


@functools.cache
def plugin_dir() -> Path:
    """The unpacked plugin package (`package/` of its jsii tarball), unpacked on first use and then reused.

    The cache is keyed by the tarball's content, under `$XDG_CACHE_HOME` (default `~/.cache`); a copy is
    unpacked beside its final place and renamed into it, so concurrent synths never see a partial one.
    """
    package = resources.files("cdklabs.cdk_validator_cfnguard._jsii")
    (archive,) = (entry for entry in package.iterdir() if entry.name.endswith(".jsii.tgz"))
    with resources.as_file(archive) as tarball:
        digest = hashlib.sha256(tarball.read_bytes()).hexdigest()[:16]
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sagemaker-platform"
        target = cache / f"{archive.name.removesuffix('.jsii.tgz')}-{digest}"
        if not (target / "package" / "package.json").is_file():
            try:
                cache.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=cache))
            except OSError:  # no writable cache (a read-only home): unpack for this process only
                target = Path(_process_dir().name)
                _unpack(tarball, target)
                return target / "package"
            _unpack(tarball, staging)
            try:
                staging.rename(target)
            except OSError:  # another synth unpacked it first
                shutil.rmtree(staging, ignore_errors=True)
    return target / "package"


@functools.cache
def _process_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="cfnguard-")  # removed when the process exits


def _unpack(tarball: Path, into: Path) -> None:
    binaries = f"package/bin/{_PLATFORMS.get(platform.system(), platform.system().lower())}/"
    with tarfile.open(tarball, "r:gz") as tar:
        members = [m for m in tar if m.isfile() and m.name.startswith((*_NEEDED, binaries))]
        tar.extractall(into, members=members, filter="data")
    # The guard binary must be executable (the `data` filter keeps the owner's execute bit of the archive).
    for binary in (into / binaries).glob("*/cfn-guard"):
        binary.chmod(0o755)


def run(jobs: Sequence[Job], *, workers: int | None = None) -> list[dict[str, Any]]:
    """The plugin's report (`{"success", "violations"}`) for each job, in the order of `jobs`.

    :param workers: processes to spread the jobs over. Default: the CPUs this process may use.
    """
    if not jobs:
        return []
    heaviest_first = deque(sorted(range(len(jobs)), key=lambda i: -jobs[i].weight))
    lock = threading.Lock()
    failed = threading.Event()  # a worker failed: the others take no further job

    def next_job() -> int | None:
        with lock:
            return None if failed.is_set() or not heaviest_first else heaviest_first.popleft()

    reports: list[dict[str, Any]] = [{}] * len(jobs)
    node = os.environ.get("JSII_NODE") or shutil.which("node") or "node"
    plugin = str(plugin_dir() / "lib" / "plugin.js")

    def work() -> None:
        try:
            _serve(node, plugin, jobs, next_job, reports)
        except BaseException:
            failed.set()
            raise

    count = min(workers or _usable_cpus(), len(jobs))
    with ThreadPoolExecutor(count) as pool:  # threads only wait on their process
        started = [pool.submit(work) for _ in range(count)]
    for done in started:
        done.result()  # the first failure, raised
    return reports


def _serve(
    node: str,
    plugin: str,
    jobs: Sequence[Job],
    next_job: Callable[[], int | None],
    reports: list[dict[str, Any]],
) -> None:
    """One worker process: runs jobs from `next_job` until there are none, each report into its place in `reports`."""
    with (
        tempfile.TemporaryFile("w+") as errors,
        subprocess.Popen(
            [node, "-e", _WORKER, plugin], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
        ) as process,
    ):
        assert process.stdin is not None and process.stdout is not None
        for index in iter(next_job, None):
            job = jobs[index]
            payload = {"templatePaths": list(job.template_paths), "disabledRules": list(job.disabled_rules)}
            try:
                process.stdin.write(json.dumps(payload) + "\n")
                process.stdin.flush()
            except BrokenPipeError:
                pass  # the worker ended: its stderr says why, below
            line = process.stdout.readline()
            if not line:
                process.wait()
                errors.seek(0)
                raise RuntimeError(f"the Control Tower pack failed:\n{errors.read().strip()[-2000:]}")
            reports[index] = json.loads(line)
        process.stdin.close()


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process may run on (a container's share)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
