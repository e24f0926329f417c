"""User profiles of the Studio domain, sharded into nested stacks, and the cleanup of removed users."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

from sagemaker_platform.constructs.studio.settings import (
    SHARED_NOTEBOOKS_PATTERN,
    StudioUser,
    _construct_suffix,
    profile_shard,
)
from sagemaker_platform.constructs.studio.teardown import _StudioTeardown


class _StudioProfiles(_StudioTeardown):
    """The user profiles part of `StudioDomain`."""

    user_profiles: dict[str, sagemaker.CfnUserProfile]
    _notebook_sharing: bool

    def _render_profile_shards(self, users: Sequence[StudioUser], shards: int) -> list[cdk.NestedStack]:
        """A nested stack per shard that holds a user, and one profile cleanup over every shard.

        A shard exists only while it holds a user: an empty one would still be a nested stack for
        CloudFormation to create and update. `profile_shard` hashes the name alone, so creating or removing a
        shard never moves another user; each shard keeps its construct id (and so its profiles' logical ids).
        """
        by_shard: dict[int, list[StudioUser]] = {}
        for user in users:
            by_shard.setdefault(profile_shard(user.name, shards), []).append(user)
        nested: list[cdk.NestedStack] = []
        for index in sorted(by_shard):
            parameters = {"DomainId": self.domain_id}
            # Only a shard with roles of its own grants them the shared notebooks (an unused parameter is lint).
            sharing = self._notebook_sharing and any(user.own_role for user in by_shard[index])
            if sharing and self.sharing_bucket is not None:
                parameters["SharingBucketArn"] = self.sharing_bucket.bucket_arn
            shard = cdk.NestedStack(
                self, f"Profiles{index:02d}", description=f"Studio user profiles, shard {index}", parameters=parameters
            )
            # Parameters of our own (not CDK's generated references) so that they read `<DomainId>` and
            # `<SharingBucketArn>` in the shard's acknowledgments.
            domain_id = cdk.CfnParameter(shard, "DomainId", type="String").value_as_string
            shard_sharing_bucket = None
            if sharing:
                shard_sharing_bucket = s3.Bucket.from_bucket_attributes(
                    shard,
                    "SharingBucket",
                    bucket_arn=cdk.CfnParameter(shard, "SharingBucketArn", type="String").value_as_string,
                    encryption_key=self.key,
                )
            for user in sorted(by_shard[index], key=lambda u: u.name):
                self._render_profile(shard, user, domain_id, shard_sharing_bucket)
            nested.append(shard)
        self._render_profile_cleanup(users)
        return nested

    def _render_profile_cleanup(self, users: Sequence[StudioUser]) -> None:
        """One cleanup in this stack, listing every profile: removing a user changes its properties.

        It lives here, not in the shards, so that it outlives them: when the last user of a shard leaves,
        the shard's nested stack is deleted (its profiles are retained), while this resource receives an
        Update whose old properties still name that user, and deletes the user's apps, private spaces and
        profile. Its Delete does nothing (a retained domain keeps its profiles; DESTROY has the teardown).
        Its properties change only when the users do, so a redeploy without a change never invokes it.
        """
        cleanup = self._render_lifecycle_resource(
            "ProfileCleanup", DomainId=self.domain_id, UserProfileNames=sorted(user.name for user in users)
        )
        cleanup.node.add_dependency(*self._lifecycle_roles)

    def _render_profile(
        self, shard: cdk.NestedStack, user: StudioUser, domain_id: str, sharing_bucket: s3.IBucket | None
    ) -> None:
        role: iam.IRole = self.persona_roles[user.persona]
        if user.own_role:
            own = self._render_execution_role(
                f"Role{_construct_suffix(user.name)}", f"execution role of {user.name}", scope=shard
            )
            self._attach_member_policy(own)
            self._kept.append(own)
            self.user_profile_roles[user.name] = own
            if sharing_bucket is not None:
                self.grant_read_write_data(sharing_bucket, SHARED_NOTEBOOKS_PATTERN, user=user.name)
            role = own
        settings = sagemaker.CfnUserProfile.UserSettingsProperty(
            execution_role=role.role_arn,
            security_groups=[sg.security_group_id for sg in self.security_groups],
        )
        profile = sagemaker.CfnUserProfile(
            shard,
            f"Profile{_construct_suffix(user.name)}",
            domain_id=domain_id,
            user_profile_name=user.name,
            user_settings=settings,
            single_sign_on_user_identifier="UserName" if self.auth_mode == "SSO" else None,
            single_sign_on_user_value=(user.sso_user_value or user.name) if self.auth_mode == "SSO" else None,
        )
        # Kept by CloudFormation in every mode: a removed user is deleted by the domain's ProfileCleanup
        # (apps and private spaces first), stack deletion with RETAIN must leave profiles and their spaces,
        # and with DESTROY the domain teardown deletes them.
        profile.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.user_profiles[user.name] = profile
