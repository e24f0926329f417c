"""Runs the Control Tower pack's own code over the templates in parallel worker processes.

`CfnGuardValidator` spawns its bundled cfn-guard once, from the jsii kernel, for every template and rule file:
one core works while the others wait, and every rule file is evaluated against every template. Here the same
plugin code (its JavaScript and cfn-guard binary, unpacked once from the jsii tarball into a per-version cache)
runs in `node` worker processes (`Workers`), one job per template with only the rule files that can apply to that
template, each job to the worker with the least work queued. `run` returns the reports in job order, as the single
run gives them (cfn-guard reports data files in the order it is given them), so the validation report is the same.
"""

from __future__ import annotations

import collections
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
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

# Reads one job a line from stdin, validates its template with the plugin's own class, answers with one line:
# {"report": ...} or {"error": ...}. Jobs run one after the other, in the order they arrive.
_WORKER = """
const { CfnGuardValidator } = require(process.argv[1]);
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { templatePath, disabledRules } = JSON.parse(line);
  let answer;
  try {
    answer = { report: new CfnGuardValidator({ disabledRules }).validate({ templatePaths: [templatePath] }) };
  } catch (error) {
    answer = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + '\\n');
});
"""
# What the plugin needs at run time: its modules, package.json (its version), the rules, this platform's binaries.
_NEEDED = ("package/lib/", "package/package.json", "package/rules/control-tower/cfn-guard/")
_PLATFORMS = {"Linux": "ubuntu", "Darwin": "macos"}  # the plugin's own names for its binary folders


@dataclass(frozen=True)
class Job:
    """Validate one template with every bundled rule file except `disabled_rules` (file names without `.guard`)."""

    template_path: str
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
    with Workers(min(workers or _usable_cpus(), len(jobs))) as pool:
        # Heaviest first, each to the least loaded worker: the workers finish close together.
        futures = {index: pool.submit(jobs[index]) for index in sorted(range(len(jobs)), key=lambda i: -jobs[i].weight)}
        return [futures[index].result() for index in range(len(jobs))]


class Workers:
    """`count` node processes running the plugin's own code, started at once and kept until `close`: `submit` hands
    a job to the one with the least work queued and returns the future of its report.

    Starting them before the templates exist (`ControlTowerValidator.watch`) takes node's start-up off the time
    synth waits for them. A job that fails sets its future's exception (`RuntimeError` with the plugin's message).

    :param count: Default: the CPUs this process may use.
    """

    def __init__(self, count: int | None = None) -> None:
        node = os.environ.get("JSII_NODE") or shutil.which("node") or "node"
        plugin = str(plugin_dir() / "lib" / "plugin.js")
        self._workers = [_Worker(node, plugin) for _ in range(count or _usable_cpus())]
        self._lock = threading.Lock()

    def submit(self, job: Job) -> Future[dict[str, Any]]:
        """Queue `job` on the worker with the least work queued; the future of the plugin's report for it."""
        with self._lock:
            worker = min(self._workers, key=lambda w: w.queued)
            return worker.submit(job)

    def close(self) -> None:
        """Let each worker finish its queue and exit."""
        for worker in self._workers:
            worker.close()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Worker:
    """One node process: jobs written to its stdin, answers read in the same order by a thread of its own."""

    def __init__(self, node: str, plugin: str) -> None:
        self._process = subprocess.Popen(
            [node, "-e", _WORKER, plugin],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._pending: collections.deque[tuple[Future[dict[str, Any]], float]] = collections.deque()
        self._lock = threading.Lock()
        self.queued = 0.0  # the weight of the jobs it has not answered yet
        self._stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        threading.Thread(target=self._answer, daemon=True).start()

    def submit(self, job: Job) -> Future[dict[str, Any]]:
        future: Future[dict[str, Any]] = Future()
        line = json.dumps({"templatePath": job.template_path, "disabledRules": list(job.disabled_rules)})
        with self._lock:
            self._pending.append((future, job.weight))
            self.queued += job.weight
            try:
                assert self._process.stdin is not None
                self._process.stdin.write(line + "\n")
                self._process.stdin.flush()
            except OSError as error:  # the process is gone
                self._pending.pop()
                self.queued -= job.weight
                future.set_exception(RuntimeError(f"the Control Tower pack failed:\n{error}"))
        return future

    def close(self) -> None:
        with self._lock:
            if self._process.stdin is not None and not self._process.stdin.closed:
                self._process.stdin.close()

    def _answer(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            future = self._next()
            answer = json.loads(line)
            if "error" in answer:
                stderr = "".join(self._stderr).strip()[-2000:]
                future.set_exception(RuntimeError(f"the Control Tower pack failed:\n{answer['error']}\n{stderr}"))
            else:
                future.set_result(answer["report"])
        self._process.wait()
        with self._lock:  # the process ended with jobs unanswered
            while self._pending:
                future, _ = self._pending.popleft()
                message = "".join(self._stderr).strip()[-2000:]
                future.set_exception(RuntimeError(f"the Control Tower pack failed:\n{message}"))

    def _next(self) -> Future[dict[str, Any]]:
        with self._lock:
            future, weight = self._pending.popleft()
            self.queued -= weight
            return future

    def _drain_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process may run on (a container's share)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
