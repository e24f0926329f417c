"""Ensemble graphs of the inference gateway: pure checks and ordering, no CDK.

An ensemble is a DAG of steps. Each step runs one gateway service (a model endpoint or another
ensemble) on an input document built from a declared mapping: ``field -> source`` where a source is
``request`` (the ensemble's own input), ``<step>`` (the whole output of an earlier step) or
``<step>.<field>`` (one top-level field of that step's JSON output). The field ``$`` passes the
source through unchanged (the only way to feed a non-JSON input to a step) and must be the step's
only input. Used by the config validator (`ConfigError`) and by the `InferenceGateway` construct
(`PropsError`), so both refuse the same graphs with the same words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sagemaker_platform.contracts.gateway import PASS_THROUGH_FIELD, REQUEST_SOURCE


@dataclass(frozen=True)
class StepSpec:
    """One step: the service it runs and its input mapping as (field, source) pairs."""

    name: str
    service: str
    inputs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EnsembleSpec:
    """One ensemble: its steps and the step whose output is the ensemble's output."""

    name: str
    steps: tuple[StepSpec, ...]
    output: str


def source_step(source: str) -> str | None:
    """The step a source reads from, or None for the ensemble's request."""
    if source == REQUEST_SOURCE:
        return None
    return source.split(".", 1)[0]


def source_field(source: str) -> str | None:
    """The top-level field of the step output a source selects, or None for the whole output."""
    return source.split(".", 1)[1] if "." in source else None


def dependencies(step: StepSpec) -> tuple[str, ...]:
    """Names of the steps whose outputs `step` consumes, in declaration order, without repeats."""
    seen: dict[str, None] = {}
    for _, source in step.inputs:
        name = source_step(source)
        if name is not None:
            seen.setdefault(name, None)
    return tuple(seen)


def graph_problems(services: Collection[str], ensembles: Sequence[EnsembleSpec]) -> list[str]:
    """Every problem with the ensemble graphs: unknown service, missing input, cycle, bad output.

    `services` are the names of the single-model services; ensembles may use each other (nesting)
    as long as no ensemble ends up using itself.
    """
    problems: list[str] = []
    ensemble_names = [ensemble.name for ensemble in ensembles]
    known = set(services) | set(ensemble_names)
    for name in sorted(set(services) & set(ensemble_names)):
        problems.append(f"ensemble {name!r}: a service has the same name; service and ensemble names must be unique")
    for ensemble in ensembles:
        problems.extend(_ensemble_problems(ensemble, known))
    problems.extend(_nesting_cycles(ensembles))
    return problems


def levels(ensemble: EnsembleSpec) -> list[list[StepSpec]]:
    """Steps in topological layers: every step of a layer depends only on earlier layers.

    Steps of one layer run in parallel. Call only on a graph `graph_problems` accepted.
    """
    remaining = list(ensemble.steps)
    done: set[str] = set()
    layers: list[list[StepSpec]] = []
    while remaining:
        layer = [step for step in remaining if set(dependencies(step)) <= done]
        if not layer:
            raise ValueError(f"ensemble {ensemble.name!r} has a cycle; check it with graph_problems first")
        layers.append(layer)
        done.update(step.name for step in layer)
        remaining = [step for step in remaining if step.name not in done]
    return layers


def _ensemble_problems(ensemble: EnsembleSpec, known_services: set[str]) -> list[str]:
    where = f"ensemble {ensemble.name!r}"
    problems: list[str] = []
    if not ensemble.steps:
        return [f"{where}: needs at least one step"]
    names = [step.name for step in ensemble.steps]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{where}: step {name!r} is declared more than once; step names must be unique")
    for step in ensemble.steps:
        at = f"{where}, step {step.name!r}"
        if step.service not in known_services:
            problems.append(
                f"{at}: unknown service {step.service!r}; known services and ensembles: "
                f"{', '.join(sorted(known_services)) or '(none)'}"
            )
        if not step.inputs:
            problems.append(f"{at}: missing input: declare at least one input (e.g. {{'$': 'request'}})")
        fields = [field for field, _ in step.inputs]
        if PASS_THROUGH_FIELD in fields and len(fields) > 1:
            problems.append(f"{at}: input field '$' passes one source through and must be the step's only input")
        for field, source in step.inputs:
            upstream = source_step(source)
            if upstream is None:
                continue
            if upstream == step.name:
                problems.append(f"{at}: input {field!r} reads the step's own output ({source!r}): a cycle")
            elif upstream not in names:
                problems.append(
                    f"{at}: missing input {field!r}: source {source!r} names no step of this ensemble; "
                    f"allowed: 'request', a step name or '<step>.<field>' ({', '.join(names)})"
                )
    if ensemble.output not in names:
        problems.append(f"{where}: output {ensemble.output!r} is not a step; allowed: {', '.join(names)}")
    if not problems:
        cycle = _find_cycle({step.name: dependencies(step) for step in ensemble.steps})
        if cycle:
            problems.append(f"{where}: the steps form a cycle: {' -> '.join(cycle)}")
    return problems


def _nesting_cycles(ensembles: Sequence[EnsembleSpec]) -> list[str]:
    names = {ensemble.name for ensemble in ensembles}
    uses = {
        ensemble.name: tuple(dict.fromkeys(step.service for step in ensemble.steps if step.service in names))
        for ensemble in ensembles
    }
    cycle = _find_cycle(uses)
    return [f"ensembles nest in a cycle: {' -> '.join(cycle)}"] if cycle else []


def _find_cycle(edges: dict[str, tuple[str, ...]]) -> list[str]:
    """One cycle of the directed graph `node -> successors` as a closed path, or [] if it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in edges:
        if node not in state and (found := visit(node)):
            return found
    return []
