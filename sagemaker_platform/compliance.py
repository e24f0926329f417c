"""The compliance gate: cdk-nag rule packs on every stack, and narrow, reasoned acknowledgments.

`add_compliance_gate(app)` registers the AwsSolutions, HIPAA Security and NIST 800-53 R5 packs as
CDK validation plugins: any finding that is not acknowledged fails synth. With `control_tower=True`
it adds a fourth pack, the AWS Control Tower proactive controls (the cfn-guard rules AWS publishes, run
by `cdklabs.cdk_validator_cfnguard` through `control_tower.ControlTowerValidator`, which skips the rule files
that cannot apply). Constructs acknowledge findings with `acknowledge(...)` on the narrowest construct that
causes them, always with a reason specific to that construct; Control Tower
rules are named ``f"{CONTROL_TOWER}<rule name>"``, e.g. ``f"{CONTROL_TOWER}sqs_dlq_check"``.
`sagemaker_platform.compliance_audit` checks after synth that every acknowledgment matches a finding.

Checkov (run over the synthesized templates by the test suite) reads skips from each resource's
`Metadata.checkov.skip`; `skip_checkov(...)` writes one with its reason.
"""

from __future__ import annotations

from typing import cast

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import IConstruct

# The Control Tower pack's plugin name, the namespace of its rule ids ("<plugin>::<guard rule name>").
CONTROL_TOWER = "cdk-validator-cfnguard::"

# cdk-nag's pack prefixes, as its validation report names them ("<pack>::<rule id>").
_PACK_PREFIXES = {
    "AwsSolutions-": "AwsSolutions",
    "HIPAA.Security-": "HIPAA.Security",
    "NIST.800.53.R5-": "NIST.800.53.R5",
}


def add_compliance_gate(
    app: cdk.App | cdk.Stage, *, control_tower: bool = False, filter_control_tower: bool = True
) -> None:
    """Run the three cdk-nag packs on every stack of `app` at synth; any unacknowledged finding fails it.

    :param control_tower: also run the AWS Control Tower proactive controls (cfn-guard). Default: off.
    :param filter_control_tower: evaluate only the Control Tower rule files that select a resource type present
        in the templates (same findings, a fraction of the time; `sagemaker_platform.control_tower`). Default:
        True; False runs all of them, for `make bench` to compare.
    """
    packs: list[cdk.IPolicyValidationPlugin] = [
        AwsSolutionsChecks(app),
        HIPAASecurityChecks(app),
        NIST80053R5Checks(app),
    ]
    if control_tower:
        # Imported on demand: the package ships a cfn-guard binary that only this opt-in pack needs.
        from sagemaker_platform.control_tower import ControlTowerValidator

        validator = ControlTowerValidator(filter_rules=filter_control_tower)
        # cfn-guard starts on the templates once the assembly is written, and runs beside the cdk-nag packs.
        validator.watch(app.outdir)
        # The validator package is typed against the Beta1 plugin interface, which jsii accepts for this one.
        packs.append(cast(cdk.IPolicyValidationPlugin, validator))
    cdk.Validations.of(app).add_plugins(*packs)


def acknowledge(scope: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge cdk-nag findings on `scope` (and its children), one reason per rule id.

    Keys are rule ids as cdk-nag prints them, e.g. ``"AwsSolutions-IAM5[Resource::*]"`` or
    ``"HIPAA.Security-LambdaInsideVPC"`` (the pack prefix is added here), or Control Tower rules as
    ``f"{CONTROL_TOWER}sqs_dlq_check"``. Acknowledgments of the Control Tower pack are inert while it is off.
    """
    for rule, reason in reasons.items():
        if not reason.strip():
            raise ValueError(f"acknowledgment of {rule!r} needs a reason")
    if not reasons:
        return
    # All in one call: each call is a round trip to the jsii kernel, and constructs acknowledge by the hundred.
    cdk.Validations.of(scope).acknowledge(
        *(cdk.Acknowledgment(id=_qualified(rule), reason=reason) for rule, reason in reasons.items())
    )


def acknowledge_dead_letter_queue(queue: IConstruct, *, of: str, cdk_nag: bool = True) -> None:
    """Acknowledge on `queue`, the dead-letter queue of `of`, the rules that ask every queue for a dead-letter queue.

    A dead-letter queue's messages are the failures themselves; one more queue behind it would only move them.

    :param cdk_nag: also AwsSolutions-SQS3. cdk-nag recognises a queue named by another queue's redrive policy
        or a function's DeadLetterConfig as a dead-letter queue by itself; pass False for those.
    """
    reason = f"this queue is the dead-letter queue of {of}"
    reasons = {f"{CONTROL_TOWER}sqs_dlq_check": reason}
    if cdk_nag:
        reasons["AwsSolutions-SQS3"] = reason
    acknowledge(queue, reasons)


def skip_checkov(resource: IConstruct, reasons: dict[str, str]) -> None:
    """Record checkov skips (check id -> reason) in the CloudFormation metadata of `resource`.

    `resource` is an L1 (`CfnResource`) or an L2 whose default child is one.
    """
    cfn = resource if isinstance(resource, cdk.CfnResource) else resource.node.default_child
    if not isinstance(cfn, cdk.CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to annotate")
    existing = cfn.get_metadata("checkov") or {"skip": []}
    skips = list(existing.get("skip", []))
    skips.extend({"id": check, "comment": reason} for check, reason in sorted(reasons.items()))
    cfn.add_metadata("checkov", {"skip": skips})


def _qualified(rule: str) -> str:
    if rule.startswith(CONTROL_TOWER) and len(rule) > len(CONTROL_TOWER):
        return rule
    # Always "<pack>::<rule id>", also for granular ids such as "AwsSolutions-IAM5[Resource::*]" (whose own "::"
    # sits inside the brackets). An unqualified id is recorded under the "Annotation::" namespace, which cdk-nag
    # honours itself, before the CDK sees the finding: it would then never reach validation-report.json.
    for prefix, pack in _PACK_PREFIXES.items():
        if rule.startswith(f"{pack}::{prefix}"):
            return rule
        if rule.startswith(prefix):
            return f"{pack}::{rule}"
    raise ValueError(f"unknown cdk-nag rule id {rule!r}; expected one of the prefixes {sorted(_PACK_PREFIXES)}")
