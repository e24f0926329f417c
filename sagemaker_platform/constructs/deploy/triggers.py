"""The deploy pipeline's external triggers: a GitLab pipeline or an Airflow DAG run on MWAA per approved
(or deployed) model package version, both run by the `start` handler with their own `DEPLOY_TARGET`."""

from __future__ import annotations

from sagemaker_platform.constructs.deploy.functions import DeployFunctions
from sagemaker_platform.constructs.deploy.grants import grant_invoke_mwaa
from sagemaker_platform.constructs.deploy.settings import GitLabTrigger, MwaaTrigger
from sagemaker_platform.constructs.function import PlatformFunction


def render_gitlab_trigger(functions: DeployFunctions, gitlab: GitLabTrigger) -> PlatformFunction:
    """`GitLabTrigger`: triggers the GitLab pipeline with the token read from `gitlab.token_secret`."""
    function = functions.add(
        "GitLabTrigger",
        "start",
        "Triggers the GitLab pipeline for an approved model package version",
        {
            "DEPLOY_TARGET": "gitlab",
            "GITLAB_URL": gitlab.url,
            "GITLAB_PROJECT_ID": str(gitlab.project_id),
            "GITLAB_REF": gitlab.ref,
            "GITLAB_TOKEN_SECRET": gitlab.token_secret.secret_arn,
        },
        vpc_subnet_ids=gitlab.vpc_subnet_ids,
        security_group_ids=gitlab.security_group_ids,
    )
    gitlab.token_secret.grant_read(function.role)
    return function


def render_mwaa_trigger(functions: DeployFunctions, mwaa: MwaaTrigger) -> PlatformFunction:
    """`MwaaTrigger`: creates a run of `mwaa.dag_id` through the environment's Airflow REST API."""
    function = functions.add(
        "MwaaTrigger",
        "start",
        "Creates an Airflow DAG run on MWAA for an approved model package version",
        {"DEPLOY_TARGET": "mwaa", "MWAA_ENVIRONMENT": mwaa.environment_name, "MWAA_DAG_ID": mwaa.dag_id},
    )
    grant_invoke_mwaa(function.role, mwaa)
    return function
