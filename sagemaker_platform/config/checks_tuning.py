"""Cross-section checks of `tuning`: the dev account may register, and warm-start parents resolve and end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sagemaker_platform.config.base import field_problem

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig


def check_tuning_can_register(config: PlatformConfig) -> None:
    """With `tuning`, the dev account may register (`registry.register_from` includes dev)."""
    # The tuning pipeline (dev account) registers its best model through the dev pipeline-step role.
    tunes = bool(config.tuning) or config.tuning_launcher is not None
    if tunes and config.registry is not None and "dev" not in config.registry.register_from:
        raise field_problem(
            "registry.register_from",
            list(config.registry.register_from),
            "must include dev when `tuning` is set: the tuning pipeline registers its best model from the dev account",
        )


def check_warm_start_chains(config: PlatformConfig) -> None:
    """`tuning[i].warm_start.parent_spec` resolves at run time by spec name: the parent must be a spec of this
    config, and following parents must end (a cycle would wait forever for a first Completed run)."""
    parents = {
        spec.name: spec.warm_start.parent_spec
        for spec in config.tuning
        if spec.warm_start is not None and spec.warm_start.parent_spec is not None
    }
    names = [spec.name for spec in config.tuning]
    for index, spec in enumerate(config.tuning):
        parent = parents.get(spec.name)
        if parent is None:
            continue
        key = f"tuning[{index}].warm_start.parent_spec"
        if parent not in names:
            raise field_problem(key, parent, f"not a `tuning` spec; configured: {', '.join(names)}")
        chain = [spec.name]
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent)
        if parent is not None:
            cycle = " -> ".join([*chain[chain.index(parent) :], parent])
            raise field_problem(key, parents[spec.name], f"warm-start parents form a cycle: {cycle}")
