"""The users' default settings of the Studio domain: apps, idle shutdown, images, notebook sharing, storage."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

from sagemaker_platform.constructs.storage import access_logs_bucket, encrypted_bucket, own_or_shared_access_logs
from sagemaker_platform.constructs.studio.idle_shutdown import ClassicIdleShutdown
from sagemaker_platform.constructs.studio.images import studio_image_arn
from sagemaker_platform.constructs.studio.network import _StudioNetwork
from sagemaker_platform.constructs.studio.settings import SHARED_NOTEBOOKS_PATTERN, ClassicImages


class _StudioUserSettings(_StudioNetwork):
    """The user settings and notebook sharing part of `StudioDomain`."""

    sharing_bucket: s3.IBucket | None

    def studio_image_arn(self, image: str) -> str:
        """ARN of a SageMaker-published Studio image in this stack's region and partition.

        A concrete region without the image fails here, listing the supported regions; an env-agnostic
        stack resolves the account through a `CfnMapping` at deploy time.
        """
        return studio_image_arn(self, image)

    # --- private helpers ----------------------------------------------------------------------------------

    def _render_user_settings(
        self,
        role: iam.IRole,
        classic_images: bool | ClassicImages,
        idle_shutdown_minutes: int | None,
        notebook_output_sharing: bool,
    ) -> sagemaker.CfnDomain.UserSettingsProperty:
        jupyter_server, kernel_gateway = self._render_classic_apps(classic_images, idle_shutdown_minutes)
        lifecycle = None
        if idle_shutdown_minutes is not None:
            lifecycle = sagemaker.CfnDomain.AppLifecycleManagementProperty(
                idle_settings=sagemaker.CfnDomain.IdleSettingsProperty(
                    lifecycle_management="ENABLED",
                    idle_timeout_in_minutes=idle_shutdown_minutes,
                    min_idle_timeout_in_minutes=60,
                    max_idle_timeout_in_minutes=max(idle_shutdown_minutes, 60),
                )
            )
        sharing = self._render_sharing(notebook_output_sharing)
        return sagemaker.CfnDomain.UserSettingsProperty(
            execution_role=role.role_arn,
            security_groups=[sg.security_group_id for sg in self.security_groups],
            sharing_settings=sharing,
            jupyter_server_app_settings=jupyter_server,
            kernel_gateway_app_settings=kernel_gateway,
            jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(instance_type="ml.t3.medium"),
                app_lifecycle_management=lifecycle,
            ),
            # Code Editor supports the same idle settings (CodeEditorAppSettings.AppLifecycleManagement).
            code_editor_app_settings=None
            if lifecycle is None
            else sagemaker.CfnDomain.CodeEditorAppSettingsProperty(
                app_lifecycle_management=sagemaker.CfnDomain.AppLifecycleManagementProperty(
                    idle_settings=lifecycle.idle_settings
                )
            ),
            space_storage_settings=sagemaker.CfnDomain.DefaultSpaceStorageSettingsProperty(
                default_ebs_storage_settings=sagemaker.CfnDomain.DefaultEbsStorageSettingsProperty(
                    default_ebs_volume_size_in_gb=5, maximum_ebs_volume_size_in_gb=100
                )
            ),
        )

    def _render_classic_apps(
        self, classic_images: bool | ClassicImages, idle_shutdown_minutes: int | None
    ) -> tuple[
        sagemaker.CfnDomain.JupyterServerAppSettingsProperty | None,
        sagemaker.CfnDomain.KernelGatewayAppSettingsProperty | None,
    ]:
        """Studio Classic's default JupyterServer and KernelGateway apps; (None, None) leaves Studio's own.

        With idle shutdown, the JupyterServer's default lifecycle configuration deletes idle KernelGateway apps."""
        if classic_images is False:
            return None, None
        images = classic_images if isinstance(classic_images, ClassicImages) else ClassicImages()
        idle = (
            None
            if idle_shutdown_minutes is None
            else ClassicIdleShutdown(self, "ClassicIdleShutdown", idle_minutes=idle_shutdown_minutes)
        )
        jupyter_server = sagemaker.CfnDomain.JupyterServerAppSettingsProperty(
            default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                instance_type="system",
                sage_maker_image_arn=self.studio_image_arn(images.jupyter_server),
                lifecycle_config_arn=None if idle is None else idle.arn,
            ),
            lifecycle_config_arns=None if idle is None else [idle.arn],
        )
        kernel_gateway = sagemaker.CfnDomain.KernelGatewayAppSettingsProperty(
            default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                instance_type=images.kernel_gateway_instance_type,
                sage_maker_image_arn=self.studio_image_arn(images.kernel_gateway),
            )
        )
        return jupyter_server, kernel_gateway

    def _render_sharing(self, notebook_output_sharing: bool) -> sagemaker.CfnDomain.SharingSettingsProperty:
        """Notebook output sharing into the sharing bucket (the default role may write there), or off."""
        if not notebook_output_sharing:
            return sagemaker.CfnDomain.SharingSettingsProperty(notebook_output_option="Disabled")
        assert self.sharing_bucket is not None
        sharing = sagemaker.CfnDomain.SharingSettingsProperty(
            notebook_output_option="Allowed",
            s3_output_path=self.sharing_bucket.s3_url_for_object(SHARED_NOTEBOOKS_PATTERN.removesuffix("/*")),
            s3_kms_key_id=self.key.key_id,
        )
        self.grant_read_write_data(self.sharing_bucket, SHARED_NOTEBOOKS_PATTERN)
        return sharing

    def _render_sharing_bucket(self, removal_policy: cdk.RemovalPolicy, access_logs: s3.IBucket | None) -> s3.Bucket:
        logs_bucket, log_namespace = own_or_shared_access_logs(
            self,
            access_logs,
            lambda: access_logs_bucket(
                self, "SharingAccessLogs", of="the notebook sharing bucket", removal_policy=removal_policy
            ),
        )
        return encrypted_bucket(
            self,
            "SharingBucket",
            key=self.key,
            access_logs=logs_bucket,
            access_logs_prefix=f"{log_namespace}sharing/",
            removal_policy=removal_policy,
            holds="shared notebook snapshots",
            replication="shared notebook snapshots are copies of notebooks kept on the home file system",
            # Snapshots are copies: a replaced or deleted one's old version is kept 30 days.
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireOldVersions", noncurrent_version_expiration=cdk.Duration.days(30))
            ],
        )
