"""Optional CI targets: a GitLab pipeline trigger and an Airflow DAG run on Amazon MWAA."""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from deployer import aws
from deployer.errors import DeployError
from deployer.events import PackageEvent

if TYPE_CHECKING:
    import urllib.request

GITLAB_TIMEOUT_SECONDS = 15


class TriggerFailed(DeployError):
    """The CI system refused or did not answer the trigger."""


def package_variables(package: PackageEvent) -> dict[str, str]:
    return {
        "MODEL_PACKAGE_ARN": package.model_package_arn,
        "MODEL_PACKAGE_GROUP": package.group,
        "MODEL_PACKAGE_VERSION": str(package.version),
    }


def gitlab_request(url: str, project_id: str, ref: str, token: str, package: PackageEvent) -> urllib.request.Request:
    """POST /api/v4/projects/:id/trigger/pipeline with the package as pipeline variables."""
    import urllib.request

    form = {"token": token, "ref": ref} | {
        f"variables[{name}]": value for name, value in package_variables(package).items()
    }
    endpoint = f"{url.rstrip('/')}/api/v4/projects/{urllib.parse.quote(project_id, safe='')}/trigger/pipeline"
    return urllib.request.Request(endpoint, data=urllib.parse.urlencode(form).encode(), method="POST")


def gitlab_pipeline(package: PackageEvent, attempt: int) -> str:
    """Trigger the GitLab pipeline; the trigger token is read from Secrets Manager at each call, never stored."""
    import urllib.error
    import urllib.request

    secret = aws.call(aws.client("secretsmanager"), "get_secret_value", SecretId=aws.setting("GITLAB_TOKEN_SECRET"))
    token = str(secret.get("SecretString", "")).strip()
    if not token:
        raise TriggerFailed("the GitLab trigger token secret has no SecretString")
    request = gitlab_request(
        aws.setting("GITLAB_URL"), aws.setting("GITLAB_PROJECT_ID"), aws.setting("GITLAB_REF"), token, package
    )
    try:
        with urllib.request.urlopen(request, timeout=GITLAB_TIMEOUT_SECONDS) as response:
            body: dict[str, Any] = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise TriggerFailed(f"GitLab answered {exc.code} to the pipeline trigger") from exc
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise TriggerFailed(f"GitLab pipeline trigger failed: {exc}") from exc
    return str(body.get("web_url") or body.get("id"))


def mwaa_dag(package: PackageEvent, attempt: int) -> str:
    """Create a DAG run through the MWAA REST API; the run id is deterministic, so Airflow refuses a replay."""
    dag_id = aws.setting("MWAA_DAG_ID")
    run_id = f"{package.group}-v{package.version}-{attempt}"
    response = aws.call(
        aws.client("mwaa"),
        "invoke_rest_api",
        Name=aws.setting("MWAA_ENVIRONMENT"),
        Path=f"/dags/{dag_id}/dagRuns",
        Method="POST",
        Body={"dag_run_id": run_id, "conf": package_variables(package)},
    )
    status = int(response.get("RestApiStatusCode", 0))
    if status >= 400 and status != 409:
        raise TriggerFailed(f"MWAA answered {status} to the DAG run of {dag_id}")
    return run_id
