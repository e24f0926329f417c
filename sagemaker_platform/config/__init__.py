"""The typed, validated platform config: the contract between cdk.json and the stacks.

The config is read from the `platform` key of the CDK context, or from a JSON or YAML file given
with ``cdk synth -c config=PATH``. It is validated into frozen models; any mistake raises one
`ConfigError` whose message names each bad key, the value given and what is allowed.

Validation goes through JSON in pydantic's strict mode, so ``"60"`` is not silently taken for
``60`` and ``true`` is not taken for ``1``.

One module per config section (`studio`, `registry`, `endpoints`, ...), the shared building blocks in
`base`, the whole config in `platform`, the rules relating sections in `checks`, and reading the config
in `loading`. Every name this package had as a single module is re-exported here.
"""

from sagemaker_platform.config.base import (
    ACCOUNT_ID_PATTERN as ACCOUNT_ID_PATTERN,
)
from sagemaker_platform.config.base import (
    ORGANIZATION_ID_PATTERN as ORGANIZATION_ID_PATTERN,
)
from sagemaker_platform.config.base import (
    PLATFORM_NAME_PATTERN as PLATFORM_NAME_PATTERN,
)
from sagemaker_platform.config.base import (
    USER_PROFILE_NAME_PATTERN as USER_PROFILE_NAME_PATTERN,
)
from sagemaker_platform.config.base import (
    AccountId as AccountId,
)
from sagemaker_platform.config.base import (
    Items as Items,
)
from sagemaker_platform.config.base import (
    Region as Region,
)
from sagemaker_platform.config.base import (
    StrictModel as StrictModel,
)
from sagemaker_platform.config.base import (
    UserProfileName as UserProfileName,
)
from sagemaker_platform.config.base import (
    field_problem as field_problem,
)
from sagemaker_platform.config.checks import (
    run_checks as run_checks,
)
from sagemaker_platform.config.ci import (
    GIT_REF_PATTERN as GIT_REF_PATTERN,
)
from sagemaker_platform.config.ci import (
    OIDC_PROVIDER_ARN_PATTERN as OIDC_PROVIDER_ARN_PATTERN,
)
from sagemaker_platform.config.ci import (
    CiConfig as CiConfig,
)
from sagemaker_platform.config.ci import (
    CiGitHubConfig as CiGitHubConfig,
)
from sagemaker_platform.config.ci import (
    CiGitHubRepositoryConfig as CiGitHubRepositoryConfig,
)
from sagemaker_platform.config.ci import (
    CiGitLabConfig as CiGitLabConfig,
)
from sagemaker_platform.config.ci import (
    CiGitLabProjectConfig as CiGitLabProjectConfig,
)
from sagemaker_platform.config.compliance import (
    ComplianceConfig as ComplianceConfig,
)
from sagemaker_platform.config.deploy import (
    DEPLOY_GROUP_NAME_PATTERN as DEPLOY_GROUP_NAME_PATTERN,
)
from sagemaker_platform.config.deploy import (
    EMAIL_PATTERN as EMAIL_PATTERN,
)
from sagemaker_platform.config.deploy import (
    ENDPOINT_ENTRY_NAME_PATTERN as ENDPOINT_ENTRY_NAME_PATTERN,
)
from sagemaker_platform.config.deploy import (
    SAGEMAKER_PIPELINE_NAME_PATTERN as SAGEMAKER_PIPELINE_NAME_PATTERN,
)
from sagemaker_platform.config.deploy import (
    SCHEDULE_EXPRESSION_PATTERN as SCHEDULE_EXPRESSION_PATTERN,
)
from sagemaker_platform.config.deploy import (
    DeployConfig as DeployConfig,
)
from sagemaker_platform.config.deploy import (
    DeployGitLabConfig as DeployGitLabConfig,
)
from sagemaker_platform.config.deploy import (
    DeployGroupConfig as DeployGroupConfig,
)
from sagemaker_platform.config.deploy import (
    DeployGroupName as DeployGroupName,
)
from sagemaker_platform.config.deploy import (
    DeployMwaaConfig as DeployMwaaConfig,
)
from sagemaker_platform.config.deploy import (
    DeploySmokeTestConfig as DeploySmokeTestConfig,
)
from sagemaker_platform.config.deploy import (
    DeployTriggerVpcConfig as DeployTriggerVpcConfig,
)
from sagemaker_platform.config.deploy import (
    EndpointEntryName as EndpointEntryName,
)
from sagemaker_platform.config.deploy import (
    PipelineScheduleConfig as PipelineScheduleConfig,
)
from sagemaker_platform.config.deploy import (
    SageMakerPipelineName as SageMakerPipelineName,
)
from sagemaker_platform.config.endpoints import (
    ENDPOINT_NAME_PATTERN as ENDPOINT_NAME_PATTERN,
)
from sagemaker_platform.config.endpoints import (
    KMS_KEY_ARN_PATTERN as KMS_KEY_ARN_PATTERN,
)
from sagemaker_platform.config.endpoints import (
    MODEL_PACKAGE_ARN_PATTERN as MODEL_PACKAGE_ARN_PATTERN,
)
from sagemaker_platform.config.endpoints import (
    EndpointAlarmsConfig as EndpointAlarmsConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointAsyncConfig as EndpointAsyncConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointConfig as EndpointConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointDeploymentConfig as EndpointDeploymentConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointDlcImageConfig as EndpointDlcImageConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointPlatformImageConfig as EndpointPlatformImageConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointServerlessConfig as EndpointServerlessConfig,
)
from sagemaker_platform.config.endpoints import (
    EndpointVpcConfig as EndpointVpcConfig,
)
from sagemaker_platform.config.endpoints import (
    pinned_package_parts as pinned_package_parts,
)
from sagemaker_platform.config.gateway import (
    GATEWAY_FIELD_PATTERN as GATEWAY_FIELD_PATTERN,
)
from sagemaker_platform.config.gateway import (
    GATEWAY_NAME_PATTERN as GATEWAY_NAME_PATTERN,
)
from sagemaker_platform.config.gateway import (
    GATEWAY_SOURCE_PATTERN as GATEWAY_SOURCE_PATTERN,
)
from sagemaker_platform.config.gateway import (
    EnsembleConfig as EnsembleConfig,
)
from sagemaker_platform.config.gateway import (
    EnsembleInputConfig as EnsembleInputConfig,
)
from sagemaker_platform.config.gateway import (
    EnsembleStepConfig as EnsembleStepConfig,
)
from sagemaker_platform.config.gateway import (
    GatewayConfig as GatewayConfig,
)
from sagemaker_platform.config.gateway import (
    GatewayName as GatewayName,
)
from sagemaker_platform.config.gateway import (
    GatewayServiceConfig as GatewayServiceConfig,
)
from sagemaker_platform.config.gateway import (
    GatewayThrottlingConfig as GatewayThrottlingConfig,
)
from sagemaker_platform.config.gateway import (
    check_gateway_endpoints as check_gateway_endpoints,
)
from sagemaker_platform.config.gateway import (
    gateway_ensemble_spec as gateway_ensemble_spec,
)
from sagemaker_platform.config.images import (
    ECR_REPOSITORY_NAME_PATTERN as ECR_REPOSITORY_NAME_PATTERN,
)
from sagemaker_platform.config.images import (
    ImageAccountRole as ImageAccountRole,
)
from sagemaker_platform.config.images import (
    ImagePuller as ImagePuller,
)
from sagemaker_platform.config.images import (
    ImageRepositoryConfig as ImageRepositoryConfig,
)
from sagemaker_platform.config.images import (
    ImagesConfig as ImagesConfig,
)
from sagemaker_platform.config.images import (
    PlatformImageConfig as PlatformImageConfig,
)
from sagemaker_platform.config.instance_types import (
    InstanceTypeConfig as InstanceTypeConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleBatchConfig as LifecycleBatchConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleBuildConfig as LifecycleBuildConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleConfig as LifecycleConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleInstanceType as LifecycleInstanceType,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleJobConfig as LifecycleJobConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleModelQualityConfig as LifecycleModelQualityConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleMonitorConfig as LifecycleMonitorConfig,
)
from sagemaker_platform.config.lifecycle import (
    LifecycleObjectiveConfig as LifecycleObjectiveConfig,
)
from sagemaker_platform.config.lifecycle import (
    S3KeyPrefix as S3KeyPrefix,
)
from sagemaker_platform.config.loading import (
    CONFIG_PATH_CONTEXT_KEY as CONFIG_PATH_CONTEXT_KEY,
)
from sagemaker_platform.config.loading import (
    CONTEXT_KEY as CONTEXT_KEY,
)
from sagemaker_platform.config.loading import (
    config_from_context as config_from_context,
)
from sagemaker_platform.config.loading import (
    load_config_file as load_config_file,
)
from sagemaker_platform.config.loading import (
    parse_config as parse_config,
)
from sagemaker_platform.config.network import (
    FunctionsNetworkConfig as FunctionsNetworkConfig,
)
from sagemaker_platform.config.network import (
    FunctionSubnetsConfig as FunctionSubnetsConfig,
)
from sagemaker_platform.config.network import (
    NetworkConfig as NetworkConfig,
)
from sagemaker_platform.config.pipeline import (
    CODECOMMIT_REPOSITORY_PATTERN as CODECOMMIT_REPOSITORY_PATTERN,
)
from sagemaker_platform.config.pipeline import (
    CONNECTION_ARN_PATTERN as CONNECTION_ARN_PATTERN,
)
from sagemaker_platform.config.pipeline import (
    CONNECTION_REPOSITORY_PATTERN as CONNECTION_REPOSITORY_PATTERN,
)
from sagemaker_platform.config.pipeline import (
    GIT_BRANCH_PATTERN as GIT_BRANCH_PATTERN,
)
from sagemaker_platform.config.pipeline import (
    PipelineConfig as PipelineConfig,
)
from sagemaker_platform.config.platform import (
    AccountsConfig as AccountsConfig,
)
from sagemaker_platform.config.platform import (
    PlatformConfig as PlatformConfig,
)
from sagemaker_platform.config.registry import (
    IAM_ROLE_NAME_PATTERN as IAM_ROLE_NAME_PATTERN,
)
from sagemaker_platform.config.registry import (
    MODEL_PACKAGE_GROUP_NAME_PATTERN as MODEL_PACKAGE_GROUP_NAME_PATTERN,
)
from sagemaker_platform.config.registry import (
    WORKLOAD_ACCOUNT_ROLES as WORKLOAD_ACCOUNT_ROLES,
)
from sagemaker_platform.config.registry import (
    IamRoleName as IamRoleName,
)
from sagemaker_platform.config.registry import (
    ModelPackageGroupName as ModelPackageGroupName,
)
from sagemaker_platform.config.registry import (
    RegistryConfig as RegistryConfig,
)
from sagemaker_platform.config.registry import (
    RegistryRoleConfig as RegistryRoleConfig,
)
from sagemaker_platform.config.registry import (
    WorkloadAccountRole as WorkloadAccountRole,
)
from sagemaker_platform.config.studio import (
    SAGEMAKER_IMAGE_NAME_PATTERN as SAGEMAKER_IMAGE_NAME_PATTERN,
)
from sagemaker_platform.config.studio import (
    STUDIO_PERSONAS as STUDIO_PERSONAS,
)
from sagemaker_platform.config.studio import (
    StudioClassicImagesConfig as StudioClassicImagesConfig,
)
from sagemaker_platform.config.studio import (
    StudioConfig as StudioConfig,
)
from sagemaker_platform.config.studio import (
    StudioPersona as StudioPersona,
)
from sagemaker_platform.config.studio import (
    StudioUserConfig as StudioUserConfig,
)
from sagemaker_platform.config.studio import (
    StudioVpcConfig as StudioVpcConfig,
)
from sagemaker_platform.config.tuning import (
    TuningLauncherConfig as TuningLauncherConfig,
)
from sagemaker_platform.config.tuning import (
    TuningSpecConfig as TuningSpecConfig,
)
from sagemaker_platform.config.tuning import (
    TuningSpecs as TuningSpecs,
)
