"""Warm-pool planner: wall time and billed instance time of training jobs with and without warm pools.

Usage::

    python -m sagemaker_platform.tuning_planner --jobs 40 --parallel 5 --provisioning 240 --run 60 --repeats 8

The model (deliberately simple, every assumption a parameter):

- Jobs run in waves of `parallel` (a tuning job keeps `parallel` training jobs in flight; the next
  one starts when a slot frees). A wave lasts as long as one job, so wall time = waves x job time.
- Without warm pools every job pays `provisioning` (instance launch, image pull, data download)
  before it runs for `run` seconds.
- With warm pools only the first job of each slot provisions; each later job on a warm slot pays
  `reuse_overhead` instead (container start on the retained instance).
- `repeats` tuning jobs run one after another; each starts cold (its warm pool matches its own
  resource config, and the planner does not assume reuse across tuning jobs).
- Billed instance time counts `run` plus the billed part of provisioning (`billed_provisioning`,
  default: image pull and data download, taken as half of `provisioning`); with warm pools, the
  reuse overhead and the keep-alive period after each slot's last job are billed too (retained
  instances are billed while they wait).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    wall_seconds: float
    billed_instance_seconds: float
    iteration_seconds: float
    """Time of one wave after the first (what an "iteration" of the tuning job takes)."""


@dataclass(frozen=True)
class Plan:
    jobs: int
    parallel: int
    repeats: int
    without_warm_pools: Scenario
    with_warm_pools: Scenario

    @property
    def speedup(self) -> float:
        return self.without_warm_pools.wall_seconds / self.with_warm_pools.wall_seconds


def _refuse_below(minimum: float, **values: float) -> None:
    """`ValueError` naming the first of `values` (keyword = value) below `minimum`."""
    for name, value in values.items():
        if value < minimum:
            raise ValueError(f"{name}={value}: must be at least {minimum}")


def plan(
    *,
    jobs: int,
    parallel: int,
    provisioning_seconds: float,
    run_seconds: float,
    reuse_overhead_seconds: float = 0.0,
    keep_alive_seconds: float = 0.0,
    repeats: int = 1,
    billed_provisioning_seconds: float | None = None,
    instance_count: int = 1,
) -> Plan:
    """Estimate `repeats` sequential runs of `jobs` training jobs, `parallel` at a time."""
    _refuse_below(1, jobs=jobs, parallel=parallel, repeats=repeats, instance_count=instance_count)
    _refuse_below(
        0,
        provisioning_seconds=provisioning_seconds,
        run_seconds=run_seconds,
        reuse_overhead_seconds=reuse_overhead_seconds,
        keep_alive_seconds=keep_alive_seconds,
    )
    if keep_alive_seconds > 3600:
        raise ValueError(f"keep_alive_seconds={keep_alive_seconds}: warm pools are kept at most 3600 seconds")
    billed_provisioning = (
        provisioning_seconds / 2 if billed_provisioning_seconds is None else billed_provisioning_seconds
    )
    if not 0 <= billed_provisioning <= provisioning_seconds:
        raise ValueError(
            f"billed_provisioning_seconds={billed_provisioning}: must be between 0 and provisioning_seconds"
        )
    slots = min(parallel, jobs)
    waves = math.ceil(jobs / slots)

    cold_job = provisioning_seconds + run_seconds
    without = Scenario(
        wall_seconds=repeats * waves * cold_job,
        billed_instance_seconds=repeats * jobs * (billed_provisioning + run_seconds) * instance_count,
        iteration_seconds=cold_job,
    )
    warm_job = reuse_overhead_seconds + run_seconds
    warm_jobs = jobs - slots  # every job after the first on its slot
    with_pools = Scenario(
        wall_seconds=repeats * (cold_job + (waves - 1) * warm_job),
        billed_instance_seconds=repeats
        * instance_count
        * (slots * (billed_provisioning + run_seconds) + warm_jobs * warm_job + slots * keep_alive_seconds),
        iteration_seconds=warm_job,
    )
    return Plan(jobs, parallel, repeats, without, with_pools)


def render(result: Plan) -> str:
    def hours(seconds: float) -> str:
        return f"{seconds / 3600:6.2f} h"

    rows = [
        ("", "without warm pools", "with warm pools"),
        (
            "iteration",
            f"{result.without_warm_pools.iteration_seconds / 60:6.2f} min",
            f"{result.with_warm_pools.iteration_seconds / 60:6.2f} min",
        ),
        ("wall time", hours(result.without_warm_pools.wall_seconds), hours(result.with_warm_pools.wall_seconds)),
        (
            "billed instance time",
            hours(result.without_warm_pools.billed_instance_seconds),
            hours(result.with_warm_pools.billed_instance_seconds),
        ),
    ]
    lines = [
        f"{result.repeats} x {result.jobs} training jobs, {result.parallel} in parallel",
        *(f"{a:<22}{b:>20}{c:>20}" for a, b, c in rows),
        f"wall time {result.speedup:.1f}x shorter with warm pools",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sagemaker_platform.tuning_planner", description=__doc__.split("\n")[0]
    )
    # Each option's dest is the name of a `plan` parameter: the parsed namespace is passed to it whole.
    parser.add_argument("--jobs", type=int, required=True, help="training jobs per tuning job (or queue)")
    parser.add_argument("--parallel", type=int, required=True, help="training jobs in flight at once")
    parser.add_argument(
        "--provisioning",
        dest="provisioning_seconds",
        type=float,
        default=240.0,
        help="seconds to provision a cold job (240)",
    )
    parser.add_argument("--run", dest="run_seconds", type=float, default=60.0, help="seconds each job trains (60)")
    parser.add_argument(
        "--reuse-overhead",
        dest="reuse_overhead_seconds",
        type=float,
        default=0.0,
        help="seconds to start on a warm instance (0)",
    )
    parser.add_argument(
        "--keep-alive", dest="keep_alive_seconds", type=float, default=0.0, help="KeepAlivePeriodInSeconds, billed (0)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="tuning jobs run one after another (1)")
    parser.add_argument("--instance-count", type=int, default=1, help="instances per training job (1)")
    try:
        result = plan(**vars(parser.parse_args(argv)))
    except ValueError as exc:
        parser.error(str(exc))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
