"""`ClassicIdleShutdown`: the JupyterServer lifecycle configuration that shuts idle Studio Classic kernels down.

JupyterLab and Code Editor apps shut down by themselves (`AppLifecycleManagement`); Studio Classic's
KernelGateway apps have no such setting. This lifecycle configuration, the domain's default for JupyterServer
apps, starts `sagemaker_platform/studio_scripts/classic_idle_shutdown.py` in the background of each user's
JupyterServer: every few minutes it reads the kernels and terminals of the local Jupyter server and, when none is
busy and none was active for `idle_minutes`, deletes the user's KernelGateway apps (each at least that old).
Nothing is installed from the internet (VPC-only domains): the script is inlined and runs on the server's Python.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources

import aws_cdk as cdk
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_platform.errors import ProblemCollector

SCRIPT_DIR = "/tmp/sagemaker-platform-idle-shutdown"
HEREDOC_END = "SAGEMAKER_PLATFORM_SCRIPT_END"
MAX_CONTENT_CHARS = 16384  # StudioLifecycleConfigContent (base64), API reference


def idle_shutdown_script() -> str:
    """The reaper's source, as shipped in the package."""
    return (resources.files("sagemaker_platform.studio_scripts") / "classic_idle_shutdown.py").read_text("utf-8")


class ClassicIdleShutdown(Construct):
    """A JupyterServer `AWS::SageMaker::StudioLifecycleConfig` that deletes idle KernelGateway apps.

    Example::

        idle = ClassicIdleShutdown(self, "ClassicIdleShutdown", idle_minutes=120)
        # JupyterServerAppSettings: DefaultResourceSpec.LifecycleConfigArn = idle.arn, LifecycleConfigArns = [idle.arn]

    :param idle_minutes: minutes without kernel or terminal activity before the apps are deleted (60 to 525600).
    :param check_interval: how often the script checks. Default: 5 minutes.
    """

    def __init__(
        self, scope: Construct, id: str, *, idle_minutes: int, check_interval: cdk.Duration | None = None
    ) -> None:
        super().__init__(scope, id)
        interval = 300 if check_interval is None else int(check_interval.to_seconds())
        problems = ProblemCollector("ClassicIdleShutdown")
        problems.check(60 <= idle_minutes <= 525600, f"idle_minutes={idle_minutes}: allowed: 60 to 525600")
        problems.check(60 <= interval <= 3600, f"check_interval={interval}s: allowed: 1 to 60 minutes")
        problems.raise_if_any()
        self.content = render_lifecycle_script(idle_minutes, interval)
        encoded = base64.b64encode(self.content.encode("utf-8")).decode("ascii")
        if len(encoded) > MAX_CONTENT_CHARS:
            raise ValueError(
                f"the idle shutdown script is {len(encoded)} base64 characters; at most {MAX_CONTENT_CHARS}"
            )
        # The name carries a hash of the content: every property replaces the resource, and a replacement
        # needs a new name (CloudFormation creates it before deleting the old one).
        digest = hashlib.sha256(self.content.encode("utf-8")).hexdigest()[:10]
        prefix = cdk.Names.unique_resource_name(self, max_length=40, separator="-").strip("-_")
        self.config = sagemaker.CfnStudioLifecycleConfig(
            self,
            "Config",
            studio_lifecycle_config_app_type="JupyterServer",
            studio_lifecycle_config_name=f"{prefix}-{digest}".replace("_", "-"),
            studio_lifecycle_config_content=encoded,
        )
        self.arn = self.config.attr_studio_lifecycle_config_arn


def render_lifecycle_script(idle_minutes: int, interval_seconds: int) -> str:
    """The bash script the JupyterServer runs at start: write the reaper, start it detached, return at once."""
    source = idle_shutdown_script()
    if HEREDOC_END in source:
        raise ValueError(f"the reaper's source contains the heredoc delimiter {HEREDOC_END}")
    return "\n".join(
        (
            "#!/bin/bash",
            f"# sagemaker-platform: delete this user's Studio Classic KernelGateway apps after {idle_minutes} idle",
            "# minutes (no busy kernel, no kernel or terminal activity). Nothing is downloaded: VPC-only safe.",
            "set -euo pipefail",
            f"dir={SCRIPT_DIR}",
            'rm -rf "$dir" && install -d -m 700 "$dir"',
            f"cat > \"$dir/classic_idle_shutdown.py\" <<'{HEREDOC_END}'",
            source.rstrip("\n"),
            HEREDOC_END,
            "python=/opt/conda/bin/python",
            '[ -x "$python" ] || python="$(command -v python3)"',
            f'nohup "$python" "$dir/classic_idle_shutdown.py" --idle-minutes {idle_minutes} '
            f'--interval-seconds {interval_seconds} >> "$dir/idle-shutdown.log" 2>&1 &',
            "",
        )
    )
