"""Hosting at scale: synth time, resources and bytes per template, deployment-spec size, for N endpoints.

`python -m bench hosting`. One stage (staging) of the reference app, endpoints cycling through the
async (pipeline-deployed), real-time (pinned package, GPU scaling, capture, canary) and serverless modes.
"""

from __future__ import annotations

import json
import tempfile
import time
from typing import Any

import aws_cdk as cdk

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import parse_config
from sagemaker_platform.stacks import build_platform
from tests.stacks.test_hosting import scale_config
from tests.support import resources_of_type, templates_of

# Stand-in length of one resolved token (an ARN) when sizing the SSM deployment spec.
TOKEN_STAND_IN = 110


def measure(count: int, *, gate: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        app = cdk.App(outdir=outdir)
        build_platform(app, parse_config(scale_config(count)), account="staging")
        if gate:
            add_compliance_gate(app)
        templates = templates_of(app.synth())
        seconds = time.perf_counter() - started
    spec_sizes = [
        len("".join(p if isinstance(p, str) else "x" * TOKEN_STAND_IN for p in r["Properties"]["Value"]["Fn::Join"][1]))
        for t in templates.values()
        for r in resources_of_type(t, "AWS::SSM::Parameter").values()
    ]
    return {
        "endpoints": count,
        "gate": gate,
        "synth_s": round(seconds, 1),
        "templates": len(templates),
        "max_resources": max(len(t["Resources"]) for t in templates.values()),
        "max_template_kb": round(max(len(json.dumps(t, separators=(",", ":"))) for t in templates.values()) / 1024, 1),
        "max_spec_bytes": max(spec_sizes),
    }


def run() -> None:
    measure(1, gate=False)  # warm up the jsii runtime: not a figure
    for count, gate in ((10, True), (100, False), (100, True)):
        print(json.dumps(measure(count, gate=gate)), flush=True)
