"""The tuning report: tuning and training job descriptions in, one self-contained HTML document out.

Standard library only: the report Lambda imports this package from its asset folder (``import
report_render``), and the command line `sagemaker_platform.tuning_report` imports the same files as
``sagemaker_platform.lambda.tuning_report.report_render`` (hence relative imports inside). Charts are inline
SVG (no JS, CSS files or fonts). One module per job:

- `runs`: `TuningRun` and `Trial`, read from the API responses (`run_from_responses`);
- `document`: the HTML document (`render_html`): summary, chart sections, best configurations;
- `charts`: what each chart plots (objective over time, objective against each hyperparameter);
- `svg`: drawing one chart (axes, points, best-so-far line, ring on the best job, legend);
- `ticks`: axis spans, nice tick positions and short tick labels.
"""

from .document import render_html
from .runs import Trial, TuningRun, run_from_responses

__all__ = ["Trial", "TuningRun", "render_html", "run_from_responses"]
