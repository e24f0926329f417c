"""The `gateway` config section: services, ensemble graphs checked at synth, the endpoint cross-check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_core import PydanticCustomError

from sagemaker_platform.config import check_gateway_endpoints, gateway_ensemble_spec, parse_config
from sagemaker_platform.ensembles import levels
from sagemaker_platform.errors import ConfigError
from tests.support import default_config_raw

SERVICES = [
    {"name": "features", "endpoint": "features-rt", "kind": "realtime"},
    {"name": "churn", "endpoint": "churn-async", "kind": "async"},
]


# The `endpoints` entries SERVICES name (a gateway service must name one, of a fitting mode).
ENDPOINTS = [
    {"name": "features-rt", "mode": "realtime", "model_package_group": "features", "instance_type": "ml.g5.xlarge"},
    {
        "name": "churn-async",
        "mode": "async",
        "model_package_group": "churn",
        "instance_type": "ml.g5.xlarge",
        "min_instances": 0,
        "max_instances": 2,
    },
]


def gateway(**section: Any) -> dict[str, Any]:
    return {"endpoints": ENDPOINTS, "gateway": {"services": SERVICES, **section}}


def step(name: str, service: str, **inputs: str) -> dict[str, Any]:
    return {"name": name, "service": service, "inputs": inputs or {"$": "request"}}


def problems_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(raw)
    return "\n".join(raised.value.problems)


def test_given_the_default_config_then_the_gateway_is_on_with_an_ensemble() -> None:
    config = parse_config(default_config_raw())
    assert config.gateway is not None
    assert [s.name for s in config.gateway.services] == ["churn"]
    assert [e.name for e in config.gateway.ensembles] == ["churn-review"]


def test_given_a_nested_two_level_ensemble_then_it_parses_with_mapping_inputs() -> None:
    config = parse_config(
        gateway(
            ensembles=[
                {
                    "name": "inner",
                    "steps": [step("f", "features"), {"name": "s", "service": "churn", "inputs": {"x": "f"}}],
                },
                {
                    "name": "outer",
                    "steps": [
                        step("a", "inner"),
                        step("b", "features"),
                        {"name": "c", "service": "churn", "inputs": {"s": "a.score", "v": "b"}},
                    ],
                },
            ]
        )
    )
    assert config.gateway is not None
    outer = gateway_ensemble_spec(config.gateway.ensembles[1])
    assert outer.output == "c"
    assert [[s.name for s in layer] for layer in levels(outer)] == [["a", "b"], ["c"]]


@pytest.mark.parametrize(
    ("ensembles", "expected"),
    [
        ([{"name": "e", "steps": [step("a", "nope")]}], "step 'a': unknown service 'nope'"),
        (
            [
                {
                    "name": "e",
                    "steps": [
                        {"name": "a", "service": "churn", "inputs": {"x": "b"}},
                        {"name": "b", "service": "churn", "inputs": {"x": "a"}},
                    ],
                }
            ],
            "the steps form a cycle: a -> b -> a",
        ),
        (
            [{"name": "e", "steps": [{"name": "a", "service": "churn", "inputs": {"x": "ghost.f"}}]}],
            "missing input 'x'",
        ),
        ([{"name": "e", "steps": [{"name": "a", "service": "churn", "inputs": {}}]}], "inputs"),
        ([{"name": "e", "steps": [step("a", "churn")], "output": "z"}], "output 'z' is not a step"),
        ([{"name": "churn", "steps": [step("a", "features")]}], "a service has the same name"),
        (
            [{"name": "e", "steps": [{"name": "a", "service": "churn", "inputs": {"$": "request", "y": "request"}}]}],
            "must be the step's only input",
        ),
        (
            [{"name": "e", "steps": [step("a", "churn")]}, {"name": "e", "steps": [step("a", "churn")]}],
            "duplicate ensemble",
        ),
    ],
)
def test_given_a_bad_ensemble_graph_then_config_error_names_the_problem(
    ensembles: list[dict[str, Any]], expected: str
) -> None:
    message = problems_of(gateway(ensembles=ensembles))
    assert "`gateway.ensembles" in message and expected in message


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"services": []}, "declare at least one service"),
        ({"services": [{"name": "Bad", "endpoint": "x", "kind": "async"}]}, '`gateway.services[0].name` = "Bad"'),
        ({"services": [{"name": "a", "endpoint": "x", "kind": "batch"}]}, "`gateway.services[0].kind`"),
        ({"services": SERVICES + SERVICES[:1]}, "duplicate service name(s)"),
        ({"services": SERVICES, "throttling": {"rate_limit": 0}}, "`gateway.throttling.rate_limit` = 0"),
        ({"services": SERVICES, "input_timeout_minutes": 721}, "`gateway.input_timeout_minutes` = 721"),
        ({"services": SERVICES, "surprise": 1}, "unknown key(s) 'surprise'"),
    ],
)
def test_given_bad_gateway_settings_then_config_error_names_key_value_and_rule(
    section: dict[str, Any], expected: str
) -> None:
    assert expected in problems_of({"gateway": section})


def test_given_known_endpoints_then_the_cross_check_passes_and_names_the_unknown_ones() -> None:
    config = parse_config(gateway())
    assert config.gateway is not None
    check_gateway_endpoints(config.gateway, {"features-rt", "churn-async", "other"})
    with pytest.raises(PydanticCustomError) as raised:
        check_gateway_endpoints(config.gateway, {"churn-async"})
    assert "unknown endpoint(s) features-rt" in str(raised.value) and "known endpoints: churn-async" in str(
        raised.value
    )
