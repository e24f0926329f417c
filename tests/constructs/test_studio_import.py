"""StudioDomain's L2 surface: `IStudioDomain`, `from_domain_id` / `from_domain_attributes`, presigned URL grants."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from sagemaker_platform.constructs.studio import IStudioDomain, StudioDomain, StudioDomainBase, StudioUser

PINNED = cdk.Environment(account="111111111111", region="eu-west-1")


def role_in(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "Portal", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def presigned_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    statements = [s for policy in policies.values() for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    return [s for s in statements if s["Action"] == "sagemaker:CreatePresignedDomainUrl"]


def test_given_a_domain_id_when_importing_then_the_arn_is_built_in_the_stacks_region_and_account() -> None:
    stack = cdk.Stack(cdk.App(), "Portal", env=PINNED)

    domain = StudioDomain.from_domain_id(stack, "Research", "d-abc123")

    assert isinstance(domain, IStudioDomain)
    assert domain.domain_id == "d-abc123"
    assert stack.resolve(domain.domain_arn) == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:eu-west-1:111111111111:domain/d-abc123"]]
    }
    assert domain.domain_url is None


def test_given_attributes_when_importing_then_the_given_arn_and_url_are_kept() -> None:
    stack = cdk.Stack(cdk.App(), "Portal", env=PINNED)
    arn = "arn:aws:sagemaker:eu-west-1:222222222222:domain/d-xyz"
    url = "https://d-xyz.studio.eu-west-1.sagemaker.aws"

    domain = StudioDomain.from_domain_attributes(stack, "Shared", domain_id="d-xyz", domain_arn=arn, domain_url=url)

    assert (domain.domain_id, domain.domain_arn, domain.domain_url) == ("d-xyz", arn, url)


def test_given_an_imported_domain_when_granting_a_presigned_url_then_only_that_profile_is_allowed() -> None:
    stack = cdk.Stack(cdk.App(), "Portal", env=PINNED)
    role = role_in(stack)
    domain = StudioDomain.from_domain_id(stack, "Research", "d-abc123")

    grant = domain.grant_create_presigned_url(role, "alice")

    assert isinstance(grant, iam.Grant) and grant.success
    [statement] = presigned_statements(stack)
    assert statement["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:eu-west-1:111111111111:user-profile/d-abc123/alice"],
        ]
    }


def test_given_no_profile_when_granting_a_presigned_url_then_every_profile_of_that_domain_only() -> None:
    stack = cdk.Stack(cdk.App(), "Portal", env=PINNED)
    role = role_in(stack)

    StudioDomain.from_domain_id(stack, "Research", "d-abc123").grant_create_presigned_url(role)

    [statement] = presigned_statements(stack)
    assert statement["Resource"]["Fn::Join"][1][-1].endswith(":user-profile/d-abc123/*")


@pytest.fixture(scope="module")
def created() -> tuple[cdk.Stack, StudioDomain]:
    stack = cdk.Stack(cdk.App(), "Studio", env=PINNED)
    studio = StudioDomain(stack, "Studio", domain_name="research", users=[StudioUser("alice")])
    studio.grant_create_presigned_url(role_in(stack), "alice")
    return stack, studio


def test_given_a_created_domain_then_it_is_an_istudiodomain_with_the_domains_url(
    created: tuple[cdk.Stack, StudioDomain],
) -> None:
    stack, studio = created

    assert isinstance(studio, IStudioDomain) and isinstance(studio, StudioDomainBase)
    assert stack.resolve(studio.domain_url) == {"Fn::GetAtt": [stack.get_logical_id(studio.domain), "Url"]}


def test_given_a_created_domain_when_granting_a_presigned_url_then_the_arn_names_the_domains_own_id(
    created: tuple[cdk.Stack, StudioDomain],
) -> None:
    stack, studio = created

    [statement] = presigned_statements(stack)

    parts = statement["Resource"]["Fn::Join"][1]
    assert {"Fn::GetAtt": [stack.get_logical_id(studio.domain), "DomainId"]} in parts
    assert parts[-1] == "/alice"
