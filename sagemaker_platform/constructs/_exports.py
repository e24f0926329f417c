"""Where each public construct and its props types live: name -> module (read by the lazy `__init__`s)."""

from __future__ import annotations

_C = "sagemaker_platform.constructs"

CONSTRUCTS: dict[str, str] = {
    # Studio domain
    "StudioDomain": f"{_C}.studio",
    "StudioUser": f"{_C}.studio",
    "ClassicImages": f"{_C}.studio",
    "ClassicIdleShutdown": f"{_C}.studio.idle_shutdown",
    # Model registry
    "ModelRegistry": f"{_C}.registry",
    "ModelPackageGroup": f"{_C}.registry",
    "ModelPackageGroupBase": f"{_C}.registry",
    "ModelArtifacts": f"{_C}.registry",
    "ModelEventsBus": f"{_C}.registry",
    "RegistryAccess": f"{_C}.registry",
    "WorkloadAccess": f"{_C}.workload_access",
    "RegistryLocation": f"{_C}.workload_access",
    # Deploy on approval
    "DeployPipeline": f"{_C}.deploy",
    "DeployPipelineRole": f"{_C}.deploy",
    "DeployGroup": f"{_C}.deploy",
    "SmokeTest": f"{_C}.deploy",
    "GitLabTrigger": f"{_C}.deploy",
    "MwaaTrigger": f"{_C}.deploy",
    "PipelineSchedule": f"{_C}.deploy",
    "PipelineSchedules": f"{_C}.deploy",
    # Warm-pool tuning
    "TuningStorage": f"{_C}.tuning",
    "TuningPipeline": f"{_C}.tuning",
    "TrainingJobLauncher": f"{_C}.tuning",
    # GPU endpoint hosting
    "Endpoint": f"{_C}.hosting",
    "EndpointRef": f"{_C}.hosting",
    "EndpointSettings": f"{_C}.hosting",
    "HostingShared": f"{_C}.hosting",
    "InferenceComponent": f"{_C}.hosting",
    "InferenceComponentEndpoint": f"{_C}.hosting",
    "AlarmThresholds": f"{_C}.hosting",
    "AsyncSettings": f"{_C}.hosting",
    "DataCaptureSettings": f"{_C}.hosting",
    "DeploymentGuardrails": f"{_C}.hosting",
    "ServerlessSettings": f"{_C}.hosting",
    "VariantSettings": f"{_C}.hosting",
    "VpcPlacement": f"{_C}.hosting",
    "ContainerImage": f"{_C}.hosting_catalog",
    "ModelData": f"{_C}.hosting_catalog",
    "ModelSource": f"{_C}.hosting_catalog",
    "RegistryArtifacts": f"{_C}.hosting_catalog",
    # Inference gateway
    "InferenceGateway": f"{_C}.gateway",
    "GatewayService": f"{_C}.gateway",
    "EnsembleSpec": "sagemaker_platform.ensembles",
    "StepSpec": "sagemaker_platform.ensembles",
    # Model lifecycle
    "ModelBuildPipeline": f"{_C}.lifecycle.build",
    "BatchInferencePipeline": f"{_C}.lifecycle.batch",
    "RegistryLookup": f"{_C}.lifecycle.lookup",
    "LifecycleStorage": f"{_C}.lifecycle.storage",
    "PipelinePermissions": f"{_C}.lifecycle.storage",
    "DataQualityMonitor": f"{_C}.lifecycle.monitoring",
    # CI identities and images
    "CiIdentity": f"{_C}.ci_identities",
    "CiSubject": f"{_C}.ci_identities",
    "CiPipelineAccess": f"{_C}.ci_pipeline_access",
    "ImageRepository": f"{_C}.images",
    # Building blocks every capability uses
    "PlatformFunction": f"{_C}.function",
    "PlatformRole": f"{_C}.roles",
}
"""Public constructs and their props types, by capability."""
