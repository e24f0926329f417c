"""The benchmarks' generated configs stay valid as the platform config grows its cross-checks.

A benchmark that builds an invalid config fails only when someone runs `make bench`; this catches it in
`make test` without running the (slow) benchmarks themselves.
"""

from __future__ import annotations

import pytest

from bench import registry, synth
from sagemaker_platform.config import parse_config


@pytest.mark.parametrize("groups", [1, 2, 25, 60])
def test_given_n_groups_then_the_registry_benchmark_config_is_valid_with_n_groups(groups: int) -> None:
    config = parse_config(registry._config(groups))
    assert config.registry is not None
    assert len(config.registry.model_package_groups) == max(groups, 2)


def test_the_synth_benchmark_configs_beside_the_default_app_are_valid() -> None:
    configs = synth.beside_configs(synth.cdk_context())
    for name in ("2,000 Studio users", "100 endpoints"):
        config = parse_config(configs[name]["platform"])
        assert config.studio is not None and config.endpoints
    assert len(parse_config(configs["100 endpoints"]["platform"]).endpoints) == 100
    assert len(parse_config(configs["2,000 Studio users"]["platform"]).studio.users) == 2000
