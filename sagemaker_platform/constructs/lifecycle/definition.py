"""Typed SageMaker Pipelines definitions, rendered at synth into `PipelineDefinitionBody` JSON.

The building blocks mirror the SageMaker Python SDK's `sagemaker.workflow` request shapes (definition
version 2020-12-01): parameters, expressions (`{"Get": ...}`, `Std:Join`, `Std:JsonGet`), steps whose
`Arguments` are the API request the step makes (CreateTrainingJob, CreateProcessingJob, ...), and
conditions. Constructs build a `PipelineDefinition` from typed props; nothing here is hand-written JSON.
Values may hold CDK tokens (ARNs of roles, keys, buckets): the body is rendered with `Stack.to_json_string`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

DEFINITION_VERSION = "2020-12-01"

ParameterType = Literal["String", "Integer", "Float", "Boolean"]
StepType = Literal[
    "Processing",
    "Training",
    "Tuning",
    "QualityCheck",
    "Transform",
    "Model",
    "RegisterModel",
    "Lambda",
    "Condition",
    "Fail",
]
LambdaOutputType = Literal["String", "Integer", "Float", "Boolean"]
ComparisonType = Literal["Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"]


class Expression(ABC):
    """A value SageMaker Pipelines resolves at run time."""

    @abstractmethod
    def render(self) -> dict[str, Any]:
        """The expression as the pipeline definition writes it (`{"Get": ...}`, `{"Std:Join": ...}`, ...)."""


Value = str | int | float | bool | Expression | None


@dataclass(frozen=True)
class Get(Expression):
    """A property of a parameter, a step or the execution, e.g. ``Get("Steps.Train.ModelArtifacts")``."""

    path: str

    def render(self) -> dict[str, Any]:
        return {"Get": self.path}


@dataclass(frozen=True)
class Join(Expression):
    """`Std:Join`: the values joined with `on`."""

    values: tuple[Value, ...]
    on: str = ""

    def render(self) -> dict[str, Any]:
        return {"Std:Join": {"On": self.on, "Values": [render_value(value) for value in self.values]}}


@dataclass(frozen=True)
class JsonGet(Expression):
    """`Std:JsonGet`: a value read from a step's property file (a JSON document the step wrote) at `json_path`."""

    step: str
    property_file: str
    json_path: str

    def render(self) -> dict[str, Any]:
        return {
            "Std:JsonGet": {
                "PropertyFile": {"Get": f"Steps.{self.step}.PropertyFiles.{self.property_file}"},
                "Path": self.json_path,
            }
        }


def parameter(name: str) -> Get:
    return Get(f"Parameters.{name}")


def step_output(step: str, output: str) -> Get:
    """A Lambda step's output parameter."""
    return Get(f"Steps.{step}.OutputParameters['{output}']")


EXECUTION_ID = Get("Execution.PipelineExecutionId")


def render_value(value: Any) -> Any:
    """Render nested request data: expressions become their JSON form, mappings and sequences recurse."""
    if isinstance(value, Expression):
        return value.render()
    if isinstance(value, Mapping):
        return {key: render_value(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [render_value(item) for item in value]
    return value


class _Fields:
    """A definition element that renders as its fields, named as the definition names them (`_keys`)."""

    _keys: ClassVar[Mapping[str, str]]
    """Definition key -> attribute, in rendering order."""

    def render(self) -> dict[str, Any]:
        return {key: getattr(self, attribute) for key, attribute in self._keys.items()}


@dataclass(frozen=True)
class Parameter(_Fields):
    """A pipeline parameter, overridable per execution (e.g. by a schedule)."""

    name: str
    type: ParameterType
    default: str | int | float | bool
    _keys: ClassVar[Mapping[str, str]] = {"Name": "name", "Type": "type", "DefaultValue": "default"}


@dataclass(frozen=True)
class Comparison:
    """A comparison condition, e.g. ``Comparison("GreaterThan", challenger, champion)``."""

    type: ComparisonType
    left: Value
    right: Value

    def render(self) -> dict[str, Any]:
        return {"Type": self.type, "LeftValue": render_value(self.left), "RightValue": render_value(self.right)}


@dataclass(frozen=True)
class AnyOf:
    """`Or` of conditions."""

    conditions: tuple[Condition, ...]

    def render(self) -> dict[str, Any]:
        return {"Type": "Or", "Arguments": {"Conditions": [c.render() for c in self.conditions]}}


Condition = Comparison | AnyOf


@dataclass(frozen=True)
class PropertyFile(_Fields):
    """A JSON file a processing step writes to one of its outputs, readable with `JsonGet`."""

    name: str
    output_name: str
    path: str
    _keys: ClassVar[Mapping[str, str]] = {"PropertyFileName": "name", "OutputName": "output_name", "FilePath": "path"}


@dataclass(frozen=True)
class LambdaOutput(_Fields):
    """An output parameter of a Lambda step (a key of the function's answer)."""

    name: str
    type: LambdaOutputType
    _keys: ClassVar[Mapping[str, str]] = {"OutputName": "name", "OutputType": "type"}


@dataclass(frozen=True)
class Step:
    """One step. `arguments` is the API request the step makes (without the job name SageMaker generates).

    :param function_arn: Lambda steps only. :param outputs: Lambda steps' output parameters.
    :param property_files: Processing steps' property files.
    :param if_steps, else_steps: Condition steps' branches (`arguments` holds no `Conditions` then:
        give `conditions`).
    """

    name: str
    type: StepType
    arguments: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    function_arn: str | None = None
    outputs: tuple[LambdaOutput, ...] = ()
    property_files: tuple[PropertyFile, ...] = ()
    conditions: tuple[Condition, ...] = ()
    if_steps: tuple[Step, ...] = ()
    else_steps: tuple[Step, ...] = ()
    timeout_seconds: int | None = None
    """Lambda steps: how long the function may run (SageMaker's default is 120 s)."""
    step_fields: Mapping[str, Any] = field(default_factory=dict)
    """Fields of the step itself besides `Arguments` (QualityCheck: CheckType, ModelPackageGroupName, ...)."""

    def render(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {"Name": self.name, "Type": self.type}
        if self.type == "Condition":
            rendered["Arguments"] = {
                "Conditions": [condition.render() for condition in self.conditions],
                "IfSteps": [step.render() for step in self.if_steps],
                "ElseSteps": [step.render() for step in self.else_steps],
            }
        else:
            rendered["Arguments"] = render_value(self.arguments)
        rendered.update(render_value(self.step_fields))
        if self.depends_on:
            rendered["DependsOn"] = list(self.depends_on)
        if self.type == "Lambda":
            rendered["FunctionArn"] = self.function_arn
            rendered["OutputParameters"] = [output.render() for output in self.outputs]
            if self.timeout_seconds is not None:
                rendered["Timeout"] = self.timeout_seconds
        if self.property_files:
            rendered["PropertyFiles"] = [item.render() for item in self.property_files]
        return rendered


@dataclass(frozen=True)
class PipelineDefinition:
    """A whole pipeline: parameters and steps (a condition step's branches nest inside it)."""

    parameters: tuple[Parameter, ...]
    steps: tuple[Step, ...]

    def render(self) -> dict[str, Any]:
        self.validate()
        return {
            "Version": DEFINITION_VERSION,
            "Metadata": {},
            "Parameters": [item.render() for item in self.parameters],
            "PipelineExperimentConfig": {
                "ExperimentName": {"Get": "Execution.PipelineName"},
                "TrialName": {"Get": "Execution.PipelineExecutionId"},
            },
            "Steps": [step.render() for step in self.steps],
        }

    def all_steps(self) -> list[Step]:
        """Every step, branches included, in definition order."""
        found: list[Step] = []

        def walk(steps: Sequence[Step]) -> None:
            for step in steps:
                found.append(step)
                walk(step.if_steps)
                walk(step.else_steps)

        walk(self.steps)
        return found

    def validate(self) -> None:
        """Unique step and parameter names; every `DependsOn` and `Get` names a step or parameter that exists."""
        names = [step.name for step in self.all_steps()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"step names must be unique; repeated: {duplicates}")
        parameters = [item.name for item in self.parameters]
        if len(set(parameters)) != len(parameters):
            raise ValueError(f"parameter names must be unique: {parameters}")
        for step in self.all_steps():
            for dependency in step.depends_on:
                if dependency not in names:
                    raise ValueError(f"step {step.name!r} depends on unknown step {dependency!r}")
        for reference in _references(render_value([step.render() for step in self.steps])):
            kind, _, rest = reference.partition(".")
            head = rest.split(".")[0].split("[")[0]
            if kind == "Steps" and head not in names:
                raise ValueError(f"{reference!r} names an unknown step; steps: {names}")
            if kind == "Parameters" and head not in parameters:
                raise ValueError(f"{reference!r} names an unknown parameter; parameters: {parameters}")


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["Get"]] if isinstance(value.get("Get"), str) else []
        for item in value.values():
            found.extend(_references(item))
        return found
    if isinstance(value, list):
        return [reference for item in value for reference in _references(item)]
    return []
