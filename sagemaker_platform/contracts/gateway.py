"""What the inference gateway's constructs and its Lambda handlers must agree on.

The construct scopes bucket policies, event rules and IAM grants to these prefixes, and the handlers
write and read objects under them; the ensemble validator (`sagemaker_platform.ensembles`) and the
ensemble step handler read step input mappings with the same spelling.
"""

from __future__ import annotations

INPUT_PREFIX = "inputs/"
"""Key prefix of prediction inputs in the input bucket (an upload there starts a prediction)."""

OUTPUT_PREFIX = "outputs/"
"""Key prefix of prediction results in the output bucket."""

REQUEST_SOURCE = "request"
"""In an ensemble step's input mapping, the source that names the original request body."""

PASS_THROUGH_FIELD = "$"
"""In an ensemble step's input mapping, the field that passes its source's body through unchanged."""

__all__ = ["INPUT_PREFIX", "OUTPUT_PREFIX", "PASS_THROUGH_FIELD", "REQUEST_SOURCE"]
