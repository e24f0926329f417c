"""How cdk-nag prints values in the finding ids the lifecycle constructs acknowledge (one copy for the package)."""

from __future__ import annotations

import aws_cdk as cdk


def nag_text(stack: cdk.Stack, value: str) -> str:
    """`value` as cdk-nag prints it in a finding id: pseudo parameters as `<AWS::Name>`."""
    resolved = stack.resolve(value)
    if isinstance(resolved, str):
        return resolved
    separator, parts = resolved["Fn::Join"]
    return str(separator).join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)


def nag_pseudo(value: str, pseudo: str) -> str:
    """A stack's region or account as cdk-nag prints it: the value, or `<AWS::Pseudo>` when unresolved."""
    return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value


def nag_sagemaker_arn(stack: cdk.Stack, resource: str) -> str:
    """``arn:<AWS::Partition>:sagemaker:<region>:<account>:<resource>`` as cdk-nag prints it."""
    region, account = nag_pseudo(stack.region, "Region"), nag_pseudo(stack.account, "AccountId")
    return f"arn:<AWS::Partition>:sagemaker:{region}:{account}:{resource}"
