"""Every shipped config through the real CDK CLI with no AWS credentials, and cdk.json's feature flags."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.cli_synth import DEFAULT_CONFIG, CliSynth, cached_lookups, shipped_configs
from tests.support import REPO_ROOT, feature_flags

# What a synth must never print: a lookup, a deprecated API of ours (or one a rule reads), unset flags.
FORBIDDEN_OUTPUT = (
    "Need to perform AWS calls",
    "is deprecated",
    "feature flags are not configured",
    "dummy1a",
)

FLAGS_KEPT_OFF = {
    "@aws-cdk/aws-iam:minimizePolicies": "it merges and reorders the statements of every policy document; the "
    "platform writes its policies statement by statement (with Sids that its tests, wiring journeys and cdk-nag "
    "acknowledgments name), so enabling it is a change of its own, not a side effect of this one",
    "@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption": "the inference gateway's completion topic and its "
    "queue share one KMS key; the flag adds an `aws:SourceArn` = topic condition to that key's policy, a circular "
    "dependency (key -> topic -> key) CloudFormation refuses",
    "@aws-cdk/core:enablePartitionLiterals": "it writes `arn:aws:` for `arn:${AWS::Partition}:` in account-pinned "
    "stacks; the cdk-nag acknowledgments name resources in the partition-token form, so about 30 findings of the "
    "multi-account config would lose theirs (re-deriving them belongs to the compliance gate's owners)",
}
"""Recommended flags cdk.json sets to the other value, each with the reason (docs/operations/synth.md)."""


def recommended_flags() -> dict[str, Any]:
    """The recommended feature flags of the pinned aws-cdk-lib (what `cdk init` writes into cdk.json)."""
    import aws_cdk

    bundle = next((Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        return dict(json.loads(member.read()))


@pytest.mark.parametrize("config", shipped_configs())
def test_given_no_aws_credentials_when_the_cli_synthesizes_a_shipped_config_then_it_succeeds_without_lookups(
    cli_synths: dict[str, CliSynth], config: str
) -> None:
    synth = cli_synths[config]
    assert synth.returncode == 0, synth.describe()
    for manifest in synth.outdir.rglob("manifest.json"):
        missing = json.loads(manifest.read_text()).get("missing")
        assert not missing, f"{config}: context lookups in {manifest.relative_to(synth.outdir)}: {missing}"
    for forbidden in FORBIDDEN_OUTPUT:
        assert forbidden not in synth.output, f"{config}: synth printed {forbidden!r}:\n{synth.output[-4000:]}"
    # A cached lookup in a local cdk.context.json would hide one: the repository ships none.
    assert cached_lookups() == []


def test_every_file_in_examples_is_a_shipped_config_synthesized_by_the_cli(cli_synths: dict[str, CliSynth]) -> None:
    assert set(cli_synths) == {DEFAULT_CONFIG, *(f"examples/{p.name}" for p in (REPO_ROOT / "examples").iterdir())}
    assert "examples/multi-account.yaml" in cli_synths


def test_the_pinned_studio_vpc_takes_its_zones_at_deploy_time(cli_synths: dict[str, CliSynth]) -> None:
    """In the account-pinned dev stack the subnets' zones are `Fn::GetAZs` picks, not lookup answers."""
    templates = cli_synths["examples/multi-account.yaml"].templates
    studio = templates["mlplatform-studio"]
    zones = [
        r["Properties"]["AvailabilityZone"] for r in studio["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"
    ]
    assert len(zones) == 2
    assert zones == [{"Fn::Select": [index, {"Fn::GetAZs": ""}]} for index in range(2)]


def test_cdk_json_carries_every_recommended_feature_flag_of_the_pinned_aws_cdk_lib() -> None:
    flags = feature_flags()
    recommended = recommended_flags()
    assert sorted(set(recommended) - set(flags)) == []
    differing = {flag for flag, value in recommended.items() if flags[flag] != value}
    assert differing == set(FLAGS_KEPT_OFF)


def test_every_flag_kept_off_is_explained_in_the_docs() -> None:
    page = (REPO_ROOT / "docs" / "operations" / "synth.md").read_text()
    for flag in FLAGS_KEPT_OFF:
        assert f"`{flag}`" in page, flag
