"""The manual approval step (a `.waitForTaskToken` task): record the token, tell the approvers how to answer.

The token is stored on the version's claim so that a newer approval of the same group can fail this
wait (`Superseded`). The state machine resumes when someone sends task success or failure.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from deployer import claims, notify
from deployer.errors import EventError, Superseded
from deployer.events import parse_pipeline_step, parse_version_arn, require


def handler(event: Any, context: Any) -> dict[str, Any]:
    token = require(event, "task_token", str, "")
    if not token:
        raise EventError("task_token", "must not be empty")
    step = parse_pipeline_step(require(event, "step", dict, ""))
    arn = step["model_package_arn"]
    group, version = parse_version_arn(arn, "step.model_package_arn")
    attempt = step["attempt"]
    recorded = claims.transition(
        arn,
        claims.DEPLOYMENT_TARGET,
        claims.AWAITING_APPROVAL,
        attempt=attempt,
        from_statuses=(claims.DEPLOYING, claims.AWAITING_APPROVAL),  # AWAITING: a retried invocation
        task_token=token,
    )
    if recorded is None:
        raise Superseded(f"{arn} is no longer being deployed by this execution (rejected or restarted)")
    if claims.newer_live(group, version):
        raise Superseded(f"a newer version of {group} is deploying or deployed")
    notify.notify(f"Approve {group} v{version} for prod?", approval_message(step, token))
    return {"awaiting_approval": True}


def approval_message(step: dict[str, Any], token: str) -> list[str]:
    """What is being approved, what staging showed, and the exact commands to approve or reject."""
    lines = ["A model package version is deployed to staging and waits for approval to go to prod.", ""]
    lines += notify.describe(step)
    for result in step.get("staging") or []:
        if isinstance(result, dict):
            deployment = result.get("deployment") or {}
            lines.append(
                f"Staging endpoint {deployment.get('endpoint_name')}: {deployment.get('state')}, "
                f"config {deployment.get('endpoint_config_name')}, smoke test: {result.get('smoke_test_result')}"
            )
    quoted = shlex.quote(token)
    output = shlex.quote(json.dumps({"approved_by": "YOUR-NAME"}))
    lines += [
        "",
        "Approve (deploys to prod):",
        f"  aws stepfunctions send-task-success --task-token {quoted} --task-output {output}",
        "",
        "Reject (stops here; staging keeps this version):",
        f"  aws stepfunctions send-task-failure --task-token {quoted} --error Rejected --cause 'WHY'",
        "",
        "Reject in the registry (also rolls staging back to the previous deployed version):",
        f"  aws sagemaker update-model-package --model-package-arn {shlex.quote(str(step.get('model_package_arn')))}"
        " --model-approval-status Rejected",
    ]
    return lines
