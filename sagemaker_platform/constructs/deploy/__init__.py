"""Deploy on approval (package): approved model package → staging → smoke test → manual approval → prod.

`DeployPipeline` (tooling account) listens on the model-events bus for 'SageMaker Model Package State
Change' events. An Approved version of a configured group is claimed once in a DynamoDB table and
deployed by a Step Functions Standard state machine; a Rejected version is stopped and its endpoints
rolled back to the previous deployed version. The pipeline's tasks reach the staging and prod
accounts only through the role named `naming.deploy_pipeline_role_name`, which may do nothing but
assume the stages' deploy roles. What an endpoint looks like is read from the deployment spec that
each stage's hosting stack publishes; the handlers never re-declare it.

`PipelineSchedules` (the account where the pipelines run) starts SageMaker pipelines on EventBridge
Scheduler schedules, starts a retraining pipeline when a scheduled pipeline fails, and notifies.

Modules, one concern each: `settings` (props dataclasses, constants, `render_groups`), `grants` (action
lists and every IAM statement), `role` (`DeployPipelineRole`), `storage` (key, deployments table),
`functions` (the handler functions), `state_machine`, `rules` (event patterns, rule targets), `triggers`
(GitLab, MWAA), `validation`, `pipeline` (`DeployPipeline`), `schedules` (`PipelineSchedules`). Every
name the former `deploy.py` module offered is re-exported here, so existing imports keep working.
"""

from __future__ import annotations

from sagemaker_platform.constructs.deploy.grants import (
    FUNCTION_NEEDS,
    KEY_USE_ACTIONS,
    MWAA_ACTIONS,
    START_PIPELINE_ACTIONS,
    STOP_EXECUTION_ACTIONS,
    TABLE_ACTIONS,
)
from sagemaker_platform.constructs.deploy.pipeline import DeployPipeline
from sagemaker_platform.constructs.deploy.role import DeployPipelineRole
from sagemaker_platform.constructs.deploy.schedules import PipelineSchedules
from sagemaker_platform.constructs.deploy.settings import (
    DEPLOYMENT_SUCCEEDED,
    GROUP_INDEX,
    HANDLER_ASSET,
    MAX_GROUPS_SETTING_CHARS,
    MODEL_PACKAGE_STATE_CHANGE,
    PIPELINE_STATUS_CHANGE,
    STAGES,
    TASK_RETRY_ERRORS,
    THROTTLED_ERRORS,
    TRANSIENT_ERRORS,
    DeployGroup,
    DeployTiming,
    GitLabTrigger,
    MwaaTrigger,
    PipelineSchedule,
    SmokeTest,
    TriggerMoment,
)

__all__ = [
    "DEPLOYMENT_SUCCEEDED",
    "FUNCTION_NEEDS",
    "GROUP_INDEX",
    "HANDLER_ASSET",
    "KEY_USE_ACTIONS",
    "MAX_GROUPS_SETTING_CHARS",
    "MODEL_PACKAGE_STATE_CHANGE",
    "MWAA_ACTIONS",
    "PIPELINE_STATUS_CHANGE",
    "STAGES",
    "START_PIPELINE_ACTIONS",
    "STOP_EXECUTION_ACTIONS",
    "TABLE_ACTIONS",
    "TASK_RETRY_ERRORS",
    "THROTTLED_ERRORS",
    "TRANSIENT_ERRORS",
    "DeployGroup",
    "DeployPipeline",
    "DeployPipelineRole",
    "DeployTiming",
    "GitLabTrigger",
    "MwaaTrigger",
    "PipelineSchedule",
    "PipelineSchedules",
    "SmokeTest",
    "TriggerMoment",
]
