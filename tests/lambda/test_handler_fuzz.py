"""Malformed events for every entry point (issue 14): only typed errors, and none after a write.

Hypothesis picks a place in a valid event (SQS bodies and SNS messages included) and deletes it or puts an
arbitrary JSON value there; the handler runs against `tests.offline_aws` (botocore validates and serializes
every call, nothing leaves the process). Outcomes are classified by `tests.fuzz.classify`. `make bench`
prints the exhaustive counts (`bench/handler_faults.py`); this test keeps the examples bounded.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import DELETE, Target, classify, describe, materialize, mutate, places
from tests.handler_targets import all_targets

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


@cache
def targets() -> dict[str, Target]:
    return {target.name: target for target in all_targets()}


TARGET_NAMES = [
    "gateway:api POST",
    "gateway:api GET",
    "gateway:invoke batch",
    "gateway:invoke message",
    "gateway:notify batch",
    "gateway:notify message",
    "gateway:step",
    "gateway:step finish",
    "gateway:step fail",
    "studio:on_event profile cleanup",
    "studio:is_complete profile cleanup",
    "studio:is_complete domain teardown",
    "studio:is_complete projects",
    "tuning_launcher",
    "tuning_register",
    "tuning_request by name",
    "tuning_request full spec",
    "tuning_report",
]


def test_every_entry_point_has_a_fuzz_target() -> None:
    assert set(TARGET_NAMES) <= set(targets())


@pytest.mark.parametrize("name", TARGET_NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_given_one_malformed_field_then_only_a_typed_refusal_before_any_write(name: str, data: Any) -> None:
    target = targets()[name]
    path = data.draw(st.sampled_from(list(places(target.valid_event))), label="place")
    replacement = data.draw(JSON_VALUES if not path else st.just(DELETE) | JSON_VALUES, label="value")
    event = materialize(mutate(target.valid_event, path, replacement))
    outcome = classify(target, event)
    assert outcome.kind in ("ok", "refused"), f"{describe(path, replacement)}: {outcome.kind}: {outcome.detail}"


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_given_the_valid_event_then_the_handler_accepts_it(name: str) -> None:
    # Guards the fuzz itself: a target whose valid event is refused would only ever test one refusal.
    target = targets()[name]
    assert classify(target, materialize(target.valid_event)).kind == "ok"
