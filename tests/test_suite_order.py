"""`SLOWEST_FIRST` (tests/conftest.py) orders the suite for `make test`'s two workers: it must name real files."""

from __future__ import annotations

from tests.conftest import SLOWEST_FIRST
from tests.support import REPO_ROOT


def test_every_file_the_suite_runs_first_exists_once() -> None:
    assert [path for path in SLOWEST_FIRST if not (REPO_ROOT / path).is_file()] == []
    assert len(set(SLOWEST_FIRST)) == len(SLOWEST_FIRST)


def test_make_test_keeps_the_collection_order() -> None:
    # Without --no-loadscope-reorder pytest-xdist hands out the files with the most tests first instead.
    assert "--no-loadscope-reorder" in (REPO_ROOT / "Makefile").read_text()
