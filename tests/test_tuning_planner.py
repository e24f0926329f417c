"""The warm-pool planner reproduces the Best Egg figures and refuses impossible inputs."""

from __future__ import annotations

import pytest

from sagemaker_platform.tuning_planner import main, plan, render


def best_egg():  # type: ignore[no-untyped-def]
    """8 tuning jobs of 40 training jobs, 5 in parallel; ~4 min provisioning + ~1 min training per job."""
    return plan(jobs=40, parallel=5, provisioning_seconds=240, run_seconds=60, repeats=8)


def test_given_best_eggs_tuning_then_an_iteration_takes_about_5_minutes_without_and_1_with_warm_pools() -> None:
    result = best_egg()
    assert result.without_warm_pools.iteration_seconds == pytest.approx(5 * 60)
    assert result.with_warm_pools.iteration_seconds == pytest.approx(60)


def test_given_best_eggs_tuning_then_computation_takes_about_6_hours_without_and_2_with_warm_pools() -> None:
    result = best_egg()
    # 8 x 8 waves x 5 min = 5.3 h ("about 6 hours"); 8 x (5 + 7 x 1) min = 1.6 h ("about 2 hours").
    assert 5.0 <= result.without_warm_pools.wall_seconds / 3600 <= 6.5
    assert 1.5 <= result.with_warm_pools.wall_seconds / 3600 <= 2.2
    assert result.speedup == pytest.approx(320 / 96)


def test_given_warm_pools_then_fewer_instance_hours_are_billed_until_keep_alive_dominates() -> None:
    short = plan(jobs=40, parallel=5, provisioning_seconds=240, run_seconds=60, keep_alive_seconds=60)
    assert short.with_warm_pools.billed_instance_seconds < short.without_warm_pools.billed_instance_seconds
    idle = plan(jobs=5, parallel=5, provisioning_seconds=240, run_seconds=60, keep_alive_seconds=3600)
    assert idle.with_warm_pools.billed_instance_seconds > idle.without_warm_pools.billed_instance_seconds


def test_given_fewer_jobs_than_parallel_slots_then_there_is_one_wave() -> None:
    result = plan(jobs=3, parallel=5, provisioning_seconds=240, run_seconds=60)
    assert result.without_warm_pools.wall_seconds == result.with_warm_pools.wall_seconds == 300


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"jobs": 0}, "jobs=0: must be at least 1"),
        ({"instance_count": 0}, "instance_count=0: must be at least 1"),
        ({"parallel": 0}, "parallel=0"),
        ({"run_seconds": -1}, "run_seconds=-1: must be at least 0"),
        ({"reuse_overhead_seconds": -1}, "reuse_overhead_seconds=-1"),
        ({"keep_alive_seconds": 3601}, "at most 3600"),
    ],
)
def test_given_impossible_inputs_then_the_planner_refuses_them(kwargs: dict[str, float], message: str) -> None:
    args = {"jobs": 40, "parallel": 5, "provisioning_seconds": 240, "run_seconds": 60, **kwargs}
    with pytest.raises(ValueError, match=message):
        plan(**args)  # type: ignore[arg-type]


def test_the_command_prints_both_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--jobs", "40", "--parallel", "5", "--repeats", "8"]) == 0
    out = capsys.readouterr().out
    assert "5.33 h" in out and "1.60 h" in out and "3.3x shorter" in out


def test_the_command_passes_every_option_to_the_planner(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--jobs", "12", "--parallel", "3", "--provisioning", "300", "--run", "90", "--reuse-overhead", "20"]
    argv += ["--keep-alive", "120", "--repeats", "2", "--instance-count", "4"]
    assert main(argv) == 0
    expected = plan(
        jobs=12,
        parallel=3,
        provisioning_seconds=300,
        run_seconds=90,
        reuse_overhead_seconds=20,
        keep_alive_seconds=120,
        repeats=2,
        instance_count=4,
    )
    assert capsys.readouterr().out == render(expected) + "\n"


def test_the_command_names_the_refused_option_as_the_planner_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--jobs", "40", "--parallel", "5", "--keep-alive", "3601"])
    assert "keep_alive_seconds=3601.0: warm pools are kept at most 3600 seconds" in capsys.readouterr().err
