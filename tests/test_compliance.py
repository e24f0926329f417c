"""The compliance gate fails synth on any unacknowledged cdk-nag finding, and only acknowledged ones pass."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from sagemaker_platform.compliance import acknowledge, add_compliance_gate, skip_checkov


def synth_with_gate(tmp_path: Path, build: object) -> None:
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stack = cdk.Stack(app, "Canary")
    build(stack)  # type: ignore[operator]
    add_compliance_gate(app)
    app.synth()


def test_given_a_planted_violation_when_synthesized_then_the_gate_fails_naming_the_rules(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed") as caught:
        synth_with_gate(tmp_path, lambda stack: sns.Topic(stack, "Unencrypted"))
    for rule in ("AwsSolutions-SNS3", "HIPAA.Security-SNSEncryptedKMS", "NIST.800.53.R5-SNSEncryptedKMS"):
        assert rule in str(caught.value), rule
    assert "Canary/Unencrypted/Resource" in str(caught.value)


def test_given_every_finding_acknowledged_on_the_resource_when_synthesized_then_the_gate_passes(tmp_path: Path) -> None:
    def build(stack: cdk.Stack) -> None:
        topic = sns.Topic(stack, "Acknowledged")
        acknowledge(
            topic,
            {
                "AwsSolutions-SNS3": "canary: TLS finding acknowledged on purpose",
                "HIPAA.Security-SNSEncryptedKMS": "canary",
                "NIST.800.53.R5-SNSEncryptedKMS": "canary",
            },
        )

    synth_with_gate(tmp_path, build)


def test_given_an_acknowledgment_without_reason_then_refused() -> None:
    app = cdk.App()
    with pytest.raises(ValueError, match="needs a reason"):
        acknowledge(cdk.Stack(app, "S"), {"AwsSolutions-SNS2": " "})


def test_given_an_unknown_rule_prefix_then_refused() -> None:
    app = cdk.App()
    with pytest.raises(ValueError, match="unknown cdk-nag rule id"):
        acknowledge(cdk.Stack(app, "S"), {"SNS2": "no pack"})


def test_given_a_checkov_skip_then_it_is_written_to_the_resource_metadata() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    topic = sns.CfnTopic(stack, "T")
    skip_checkov(topic, {"CKV_AWS_26": "canary reason"})
    template = app.synth().get_stack_by_name("S").template
    assert template["Resources"]["T"]["Metadata"]["checkov"] == {
        "skip": [{"id": "CKV_AWS_26", "comment": "canary reason"}]
    }


def test_given_several_rules_then_they_are_acknowledged_in_one_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    # Constructs acknowledge hundreds of findings; each jsii call is a round trip to the kernel.
    calls: list[tuple[str, ...]] = []
    acknowledge_all = cdk.Validations.acknowledge

    def recording(self: cdk.Validations, *rules: cdk.Acknowledgment) -> None:
        calls.append(tuple(rule.id for rule in rules))
        acknowledge_all(self, *rules)

    monkeypatch.setattr(cdk.Validations, "acknowledge", recording)
    topic = sns.Topic(cdk.Stack(cdk.App(), "Canary"), "Topic")
    acknowledge(topic, {"AwsSolutions-SNS3": "canary", "HIPAA.Security-SNSEncryptedKMS": "canary"})
    assert calls == [("AwsSolutions::AwsSolutions-SNS3", "HIPAA.Security::HIPAA.Security-SNSEncryptedKMS")]
