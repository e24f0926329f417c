"""What hosting needs to know about instance types and where models come from.

- `INSTANCE_TYPES`: the SageMaker hosting instance catalog (accelerators and their memory, local NVMe
  storage). It drives validation (NVMe types refuse a volume KMS key and a volume size, serverless
  refuses GPUs, GPU multi-model needs Triton) and the large-model defaults of `hosting_defaults`.
- `ContainerImage`: an inference image by AWS Deep Learning Container repository and tag (resolved per
  region and partition, with an account override), by ECR repository, or by URI.
- `ModelData`: model artifacts as a `.tar.gz` object or as an uncompressed S3 prefix.
- `ModelSource`: what a SageMaker model is made from: a model package (also from another account's
  registry), an image with optional model data, or a model package group left to the deploy pipeline.

Pure data and small `bind`/`grant` helpers; no resource is created here.

Compatibility module: the catalog now lives in `sagemaker_platform.constructs.hosting.instances`
(instance specs), `.images` (container images) and `.models` (model data, `RegistryArtifacts`, model
sources). Their names (each module's `__all__`, listed there once) are re-exported here, so
`from sagemaker_platform.constructs.hosting_catalog import ...` keeps working.
"""

from __future__ import annotations

from sagemaker_platform.constructs.hosting import images, instances, models
from sagemaker_platform.constructs.hosting.images import *  # noqa: F403 (the names of its __all__)
from sagemaker_platform.constructs.hosting.instances import *  # noqa: F403
from sagemaker_platform.constructs.hosting.models import *  # noqa: F403

__all__ = [*images.__all__, *instances.__all__, *models.__all__]
