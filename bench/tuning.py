"""Warm-pool tuning figures: the planner on the Best Egg case, spec validation and request building cost,
and the launcher's paced throughput (simulated clock: what a queue of N jobs takes to launch)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import time
from pathlib import Path
from types import ModuleType

from sagemaker_platform import tuning_spec
from sagemaker_platform.assets import handler_dir
from sagemaker_platform.tuning_planner import plan, render

REPO = Path(__file__).resolve().parent.parent
ENV = tuning_spec.Environment(
    region="us-east-1",
    role_arn="arn:aws:iam::123456789012:role/training",
    data_bucket="data",
    output_bucket="output",
    kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
)


def main() -> None:
    print(render(plan(jobs=40, parallel=5, provisioning_seconds=240, run_seconds=60, repeats=8, keep_alive_seconds=60)))
    raw = json.loads((REPO / "cdk.json").read_text())["context"]["platform"]["tuning"][0]
    rounds = 2000
    start = time.perf_counter()
    for index in range(rounds):
        tuning_spec.build_request(tuning_spec.parse_spec(raw), ENV, f"execution-{index}")
    per_call = (time.perf_counter() - start) / rounds
    print(f"parse + validate + build one request: {per_call * 1e6:.0f} us (mean of {rounds})")
    launcher = _load_launcher()
    template = launcher.Template.from_environment(LAUNCHER_ENV)
    for jobs, concurrency in ((100, 2), (1000, 2)):
        clock = _FakeClock()
        client = _CountingClient()
        # One invocation's share of the queue: max_concurrency invocations run side by side.
        paced = launcher.Launcher(client, interval=concurrency / 1.0, sleep=clock.sleep, clock=clock.now)
        share = jobs // concurrency
        records = [
            {"messageId": str(i), "body": json.dumps({"job_id": f"job-{i}", "channels": {"train": "t/"}})}
            for i in range(share)
        ]
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the handler logs one JSON line per message
            for batch in range(0, share, 10):
                launcher.process_batch(records[batch : batch + 10], template, paced)
        cpu = time.perf_counter() - started
        print(
            f"launcher: {jobs} jobs over {concurrency} invocations -> {client.calls * concurrency} calls, last after "
            f"{clock.t / 60:.1f} simulated min ({client.calls * concurrency / max(clock.t, 1):.2f} req/s overall); "
            f"{cpu / share * 1e6:.0f} us handler CPU per message"
        )


LAUNCHER_ENV = {
    "JOB_NAME_PREFIX": "launch",
    "TRAINING_IMAGE": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "TRAINING_ROLE_ARN": "arn:aws:iam::123456789012:role/training",
    "DATA_BUCKET": "data",
    "OUTPUT_BUCKET": "output",
    "KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "INSTANCE_TYPE": "ml.m5.large",
    "INSTANCE_COUNT": "1",
    "VOLUME_SIZE_GB": "30",
    "MAX_RUN_SECONDS": "3600",
    "KEEP_ALIVE_SECONDS": "1800",
}


class _FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> float:
        return self.t


class _CountingClient:
    def __init__(self) -> None:
        self.calls = 0

    def create_training_job(self, **request: object) -> dict[str, str]:
        self.calls += 1
        return {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:1:training-job/{request['TrainingJobName']}"}


def _load_launcher() -> ModuleType:
    """The launcher handler as the Lambda runtime loads it: its folder on sys.path, `index` imported."""
    folder = str(handler_dir("tuning_launcher"))
    sys.path.insert(0, folder)
    try:
        return importlib.import_module("index")
    finally:
        sys.path.remove(folder)
