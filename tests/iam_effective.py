"""Each role's effective identity grants, read from a synthesized cloud assembly (every template, nested ones too).

A role's grants are the Allow and Deny statements of its inline policies, of the `AWS::IAM::Policy` and
`AWS::IAM::ManagedPolicy` resources that list it in `Roles` (in its own template or, for a role of a nested
stack, in the parent through the nested stack's outputs) and of the managed policies in its
`ManagedPolicyArns`. A nested stack's parameters are replaced by what the parent passes, so that a statement
reads the same whichever template holds it. Each statement becomes one `(effect, action, resource, condition)`
tuple per action and resource: moving a statement to another policy changes nothing, adding an action, a
resource or dropping a condition adds a tuple.

`python -m tests.iam_effective CDK_OUT BASELINE.json` writes the baseline `tests/test_shared_policies.py` checks
(the roles that read the model registry or are Studio domain members, as digests of their tuples).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

Grant = tuple[str, str, str, str]
RoleKey = str  # "<template stem>/<logical id>"

# A role is in the baseline when one of its grants holds one of these actions or names a resource holding one of
# these texts: the registry's readers (groups, versions, artifacts), the Studio domain members and the endpoint
# roles, whose statements the shared managed policies hold (issue 15).
BASELINE_ACTIONS = ("sagemaker:DescribeModelPackage", "sagemaker:CreateApp", "ecr:GetAuthorizationToken")
BASELINE_RESOURCES = (":model-package/", "-models-", "log-group:/aws/sagemaker/Endpoints/")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _stem(path: Path) -> str:
    return path.name.removesuffix(".nested.template.json").removesuffix(".template.json")


def _substitute(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    if isinstance(value, dict):
        return {key: _substitute(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, parameters) for item in value]
    return value


class Assembly:
    """Every template of a cloud assembly directory, with nested stacks linked to their parents."""

    def __init__(self, directory: Path) -> None:
        paths = sorted(directory.rglob("*.template.json"))
        self.templates: dict[str, dict[str, Any]] = {_stem(p): json.loads(p.read_text()) for p in paths}
        self.folders: dict[str, Path] = {_stem(p): p.parent for p in paths}
        # nested stem -> (parent stem, the nested stack resource's logical id)
        self.parents: dict[str, tuple[str, str]] = {}
        for stem, template in self.templates.items():
            for logical_id, resource in template.get("Resources", {}).items():
                path = resource.get("Metadata", {}).get("aws:asset:path", "")
                if resource["Type"] == "AWS::CloudFormation::Stack" and path.endswith(".nested.template.json"):
                    self.parents[_stem(Path(path))] = (stem, logical_id)

    def resolved(self, stem: str, value: Any) -> Any:
        """`value` of template `stem` with its nested-stack parameters replaced by the parent's (recursively)."""
        while stem in self.parents:
            parent, logical_id = self.parents[stem]
            parameters = self.templates[parent]["Resources"][logical_id]["Properties"].get("Parameters", {})
            value = _substitute(value, parameters)
            stem = parent
        return value

    def _role_of(self, stem: str, reference: Any) -> RoleKey | None:
        """The role a policy's `Roles` entry names: a role of the same template or a nested stack's output."""
        resources = self.templates[stem]["Resources"]
        if isinstance(reference, dict) and "Ref" in reference and reference["Ref"] in resources:
            return f"{stem}/{reference['Ref']}"
        if isinstance(reference, dict) and "Fn::GetAtt" in reference:
            nested_id, attribute = reference["Fn::GetAtt"]
            nested = next((n for n, (p, i) in self.parents.items() if p == stem and i == nested_id), None)
            if nested is not None and attribute.startswith("Outputs."):
                output = self.templates[nested]["Outputs"][attribute.removeprefix("Outputs.")]["Value"]
                return self._role_of(nested, output)
        return None

    def _policy_of(self, stem: str, reference: Any) -> tuple[str, str] | None:
        """The managed policy a role's `ManagedPolicyArns` entry names, in its template or a parent's."""
        resources = self.templates[stem]["Resources"]
        if isinstance(reference, dict) and reference.get("Ref") in resources:
            return stem, reference["Ref"]
        if isinstance(reference, dict) and "Ref" in reference and stem in self.parents:
            parent, logical_id = self.parents[stem]
            parameters = self.templates[parent]["Resources"][logical_id]["Properties"].get("Parameters", {})
            if reference["Ref"] in parameters:
                return self._policy_of(parent, parameters[reference["Ref"]])
        return None

    def grants(self) -> dict[RoleKey, set[Grant]]:
        """Every role's grants, as `(effect, action, resource, condition)` tuples (JSON text)."""
        found: dict[RoleKey, set[Grant]] = {}
        for stem, template in self.templates.items():
            for logical_id, resource in template.get("Resources", {}).items():
                if resource["Type"] != "AWS::IAM::Role":
                    continue
                props = resource.get("Properties", {})
                grants = found.setdefault(f"{stem}/{logical_id}", set())
                for inline in props.get("Policies", []):
                    grants |= self._statements(stem, inline["PolicyDocument"])
                for arn in props.get("ManagedPolicyArns", []):
                    policy = self._policy_of(stem, arn)
                    if policy is not None:
                        where, policy_id = policy
                        document = self.templates[where]["Resources"][policy_id]["Properties"]["PolicyDocument"]
                        grants |= self._statements(where, document)
        for stem, template in self.templates.items():
            for resource in template.get("Resources", {}).values():
                if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                    continue
                props = resource["Properties"]
                for reference in props.get("Roles", []):
                    role = self._role_of(stem, reference)
                    if role is not None:
                        found.setdefault(role, set()).update(self._statements(stem, props["PolicyDocument"]))
        return found

    def attached_policies(self) -> dict[RoleKey, int]:
        """How many managed policies each role has attached: in its `ManagedPolicyArns`, and in the `Roles` of
        a policy naming it by reference (its template, a parent's) or by name (any template of its folder, i.e.
        of its account and region in a pipeline's cloud assembly)."""
        counts: dict[RoleKey, int] = {}
        by_name: dict[tuple[Path, str], RoleKey] = {}
        for stem, template in self.templates.items():
            for logical_id, resource in template.get("Resources", {}).items():
                if resource["Type"] == "AWS::IAM::Role":
                    props = resource.get("Properties", {})
                    counts[f"{stem}/{logical_id}"] = len(props.get("ManagedPolicyArns", []))
                    if isinstance(props.get("RoleName"), str):
                        by_name[(self.folders[stem], props["RoleName"])] = f"{stem}/{logical_id}"
        for stem, template in self.templates.items():
            for resource in template.get("Resources", {}).values():
                if resource["Type"] != "AWS::IAM::ManagedPolicy":
                    continue
                for reference in resource["Properties"].get("Roles", []):
                    role = self._role_of(stem, reference)
                    if role is None and isinstance(reference, str):
                        role = by_name.get((self.folders[stem], reference))
                    if role is not None:
                        counts[role] = counts.get(role, 0) + 1
        return counts

    def _statements(self, stem: str, document: dict[str, Any]) -> set[Grant]:
        grants: set[Grant] = set()
        for statement in _as_list(self.resolved(stem, document)["Statement"]):
            condition = json.dumps(statement.get("Condition", {}), sort_keys=True)
            for action in _as_list(statement.get("Action", statement.get("NotAction"))):
                for resource in _as_list(statement.get("Resource", statement.get("NotResource"))):
                    grants.add((statement["Effect"], action, json.dumps(resource, sort_keys=True), condition))
        return grants


def digest(grant: Grant) -> str:
    return hashlib.sha256(json.dumps(grant).encode()).hexdigest()[:16]


def baseline_roles(grants: dict[RoleKey, set[Grant]]) -> dict[RoleKey, list[str]]:
    """The roles the baseline covers (`BASELINE_ACTIONS`), each with the sorted digests of its grants."""
    return {
        role: sorted({digest(g) for g in held})
        for role, held in sorted(grants.items())
        if any(g[1] in BASELINE_ACTIONS or any(text in g[2] for text in BASELINE_RESOURCES) for g in held)
    }


if __name__ == "__main__":
    cdk_out, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.write_text(json.dumps(baseline_roles(Assembly(cdk_out).grants()), indent=0, sort_keys=True) + "\n")
