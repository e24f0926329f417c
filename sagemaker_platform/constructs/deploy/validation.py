"""`DeployPipeline`'s props checks: every problem gathered and raised once, naming the prop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk

from sagemaker_platform.constructs.deploy.settings import (
    MAX_GROUPS_SETTING_CHARS,
    STAGES,
    DeployGroup,
    DeployTiming,
    GitLabTrigger,
    MwaaTrigger,
)
from sagemaker_platform.errors import ProblemCollector


def validate_deploy_pipeline(
    *,
    groups: Sequence[DeployGroup],
    deploy_role_arns: Mapping[str, str],
    state_machine: bool,
    gitlab: GitLabTrigger | None,
    mwaa: MwaaTrigger | None,
    timing: DeployTiming,
    groups_setting: str,
) -> None:
    """Raise one `PropsError` listing every problem with the props (`groups_setting`: the rendered groups)."""
    problems = ProblemCollector("DeployPipeline")
    names = [group.model_package_group for group in groups]
    problems.check(bool(groups), "groups=[]: give at least one model package group to deploy")
    problems.check(len(set(names)) == len(names), f"groups={names}: each model package group may appear once")
    for group in groups:
        problems.check(
            bool(group.endpoints),
            f"groups[{group.model_package_group!r}].endpoints=[]: name at least one endpoints entry",
        )
    missing = [stage for stage in STAGES if stage not in deploy_role_arns]
    problems.check(not missing, f"deploy_role_arns lacks {missing}: give the deploy role ARN of staging and prod")
    problems.check(
        state_machine or gitlab is not None or mwaa is not None,
        "state_machine=False with neither gitlab nor mwaa: nothing would deploy",
    )
    for name, trigger in (("gitlab", gitlab), ("mwaa", mwaa)):
        problems.check(
            trigger is None or trigger.fire_on == "approved" or state_machine,
            f"{name}.fire_on='deployed' with state_machine=False: only the deploy state machine announces a "
            "deployment; allowed: fire_on='approved', or state_machine=True",
        )
    if not cdk.Token.is_unresolved(timing.poll_interval.to_seconds()):
        problems.check(
            timing.poll_interval.to_seconds() < timing.deploy_timeout.to_seconds(),
            f"poll_interval={timing.poll_interval.to_human_string()} must be shorter than "
            f"deploy_timeout={timing.deploy_timeout.to_human_string()}",
        )
    problems.check(
        len(groups_setting) <= MAX_GROUPS_SETTING_CHARS,
        f"groups render to {len(groups_setting)} characters of Lambda environment; at most "
        f"{MAX_GROUPS_SETTING_CHARS} fit (shorten the smoke test payloads)",
    )
    problems.raise_if_any()
