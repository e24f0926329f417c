"""`make synth` as the README prints it: each synth starts from an empty cdk.out."""

from __future__ import annotations

import subprocess

from tests.support import REPO_ROOT


def test_make_synth_empties_cdk_out_before_synthesizing() -> None:
    """Two synths of different configs must not leave the first one's templates beside the second's (the
    template count `make synth` prints would include them)."""
    dry_run = subprocess.run(
        ["make", "-n", "synth", "CONFIG=examples/multi-account.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    removal = next(i for i, line in enumerate(dry_run) if line.strip() == "rm -rf cdk.out")
    synth = next(i for i, line in enumerate(dry_run) if " synth " in f"{line} " and "config=" in line)
    assert removal < synth
