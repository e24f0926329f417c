"""The IAM actions of the Studio domain, in one place (STYLE.md rule 4)."""

from __future__ import annotations

# What Studio itself does with the execution role of a user: run that user's apps and spaces in this domain.
DOMAIN_DESCRIBE_ACTIONS = ["sagemaker:DescribeDomain"]
PROFILE_DESCRIBE_ACTIONS = ["sagemaker:DescribeUserProfile"]
APP_ACTIONS = ["sagemaker:CreateApp", "sagemaker:DeleteApp", "sagemaker:DescribeApp", "sagemaker:AddTags"]
SPACE_ACTIONS = [
    "sagemaker:CreateSpace",
    "sagemaker:UpdateSpace",
    "sagemaker:DeleteSpace",
    "sagemaker:DescribeSpace",
    "sagemaker:AddTags",
]
# List APIs support no resource-level permissions (Service Authorization Reference).
LIST_ACTIONS = ["sagemaker:ListApps", "sagemaker:ListSpaces", "sagemaker:ListUserProfiles", "sagemaker:ListTags"]
PROJECT_ACTIONS = [
    "sagemaker:CreateProject",
    "sagemaker:DeleteProject",
    "sagemaker:DescribeProject",
    "sagemaker:UpdateProject",
]
OWN_PROJECT_PATTERN = "${aws:SourceIdentity}-*"
"""The projects a Studio user may create, update, describe and delete: `<their user profile name>-...`."""
OWN_PROFILE_PATTERN = "${aws:SourceIdentity}"
"""The profile a Studio execution role may describe: the signed-in user's own (the session's source identity
is the profile name, the domain's ExecutionRoleIdentityConfig), even when a persona's users share the role."""
PROJECT_LIST_ACTIONS = [
    "sagemaker:ListProjects",
    "servicecatalog:SearchProducts",
    "servicecatalog:DescribeProduct",
    "servicecatalog:DescribeProductView",
    "servicecatalog:DescribeProvisioningParameters",
    "servicecatalog:ListLaunchPaths",
]
# StudioDomain.grant_read_data / grant_read_write_data: named actions, never `s3:GetObject*`-style wildcards.
DATA_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"]
DATA_WRITE_ACTIONS = ["s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:AbortMultipartUpload"]
DATA_LIST_ACTIONS = ["s3:ListBucket"]
DATA_READ_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
DATA_WRITE_KEY_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"]
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]

# What the teardown functions may do, scoped to this domain in the constructor.
TEARDOWN_SAGEMAKER_ACTIONS = [
    "sagemaker:DescribeDomain",
    "sagemaker:DeleteDomain",
    "sagemaker:DeleteApp",
    "sagemaker:DeleteSpace",
    "sagemaker:DescribeSpace",
    "sagemaker:DeleteUserProfile",
    "sagemaker:DescribeUserProfile",
]
TEARDOWN_EFS_DESCRIBE_ACTIONS = ["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeMountTargets"]
TEARDOWN_EFS_DELETE_ACTIONS = ["elasticfilesystem:DeleteMountTarget", "elasticfilesystem:DeleteFileSystem"]
# What the teardown's traced waiter state machine sends to X-Ray: the actions aws-cdk-lib grants a state machine
# for `tracing_enabled=True` (Step Functions samples by the X-Ray sampling rules, so it also reads them; a traced
# Lambda function needs only the first two, `function.FUNCTION_TRACING_ACTIONS`).
TEARDOWN_WAITER_TRACING_ACTIONS = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
]
TEARDOWN_SG_ACTIONS = [
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DeleteSecurityGroup",
]
# Account-level calls without a resource type: grantable on `*` only (Service Authorization Reference).
PROJECTS_ACCOUNT_ACTIONS = [
    "sagemaker:EnableSagemakerServicecatalogPortfolio",
    "sagemaker:GetSagemakerServicecatalogPortfolioStatus",
    "servicecatalog:ListAcceptedPortfolioShares",
]
PROJECTS_PORTFOLIO_ACTIONS = [
    "servicecatalog:AssociatePrincipalWithPortfolio",
    "servicecatalog:DisassociatePrincipalFromPortfolio",
]

# StudioDomainBase.grant_create_presigned_url: opening Studio for one user profile (resource type user-profile).
PRESIGNED_URL_ACTIONS = ["sagemaker:CreatePresignedDomainUrl"]
