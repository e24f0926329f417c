"""The tuning report as a browser draws it: one headless-Chromium run, then every chart checked in the pixels.

The report (synthetic tuning job with a Logarithmic range, `tests.tuning_report_data`) is opened from a
copy with one measuring script appended: it records each chart's bounding box and axis texts on <body>,
which `--dump-dom` returns in the same run that takes the screenshot. The report itself has no script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any

import pytest
from PIL import Image

from sagemaker_platform.tuning_report import render_html, run_from_responses
from tests.tuning_report_data import describe_tuning_job, training_job_summaries

WINDOW = (1000, 4000)
MEASURE = """<script>
document.body.setAttribute("data-charts", JSON.stringify([...document.querySelectorAll("svg.chart")].map(svg => {
  const box = svg.getBoundingClientRect();
  const texts = selector => [...svg.querySelectorAll(selector)].map(t => t.textContent);
  return {chart: svg.dataset.chart, box: [box.x, box.y, box.width, box.height],
          xLabel: texts("text.x-label"), yLabel: texts("text.y-label"),
          ticks: texts("text:not(.x-label):not(.y-label):not(.legend)"), legend: texts("text.legend")};
})));
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); CI installs it and runs this test")
    return found


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Image.Image]:
    """(charts as measured in the page, the screenshot)."""
    browser = chromium()
    folder = tmp_path_factory.mktemp("report")
    report = render_html([run_from_responses(describe_tuning_job(), training_job_summaries())])
    page = folder / "report.html"
    page.write_text(report.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    shot = folder / "report.png"
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
            f"--user-data-dir={folder / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    match = re.search(r'data-charts="([^"]*)"', dom)
    assert match is not None, dom[:500]
    charts = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return charts, Image.open(shot).convert("RGB")


def test_every_chart_is_on_screen(drawn: tuple[list[dict[str, Any]], Image.Image]) -> None:
    charts, image = drawn
    assert [c["chart"] for c in charts] == [
        "objective-over-time",
        "hyperparameter-booster",
        "hyperparameter-eta",
        "hyperparameter-max_depth",
    ]
    for chart in charts:
        x, y, width, height = chart["box"]
        assert width > 600 and height > 300 and x + width <= image.width and y + height <= image.height, chart


def test_every_chart_drew_its_data_in_colour(drawn: tuple[list[dict[str, Any]], Image.Image]) -> None:
    charts, image = drawn
    for chart in charts:
        x, y, width, height = (round(v) for v in chart["box"])
        # Inside the plot area (not the legend band above it, nor the tick labels around it).
        plot = image.crop((x + 80, y + 50, x + width - 25, y + height - 60))
        colours = plot.getcolors(maxcolors=1 << 16) or []
        background = max(colours)[1]
        assert background == (255, 255, 255), chart["chart"]
        coloured = sum(n for n, (r, g, b) in colours if max(r, g, b) - min(r, g, b) > 60)
        assert coloured > 200, f"{chart['chart']}: {coloured} coloured pixels in the plot area"


def test_every_chart_has_labelled_axes_with_readable_ticks_and_a_legend(
    drawn: tuple[list[dict[str, Any]], Image.Image],
) -> None:
    charts, image = drawn
    for chart in charts:
        assert chart["xLabel"] and chart["xLabel"][0].strip(), chart
        assert chart["yLabel"] == ["validation:auc"], chart
        assert len(chart["ticks"]) >= 4 and all(len(t) <= 8 for t in chart["ticks"]), chart
        assert chart["legend"] == [
            describe_tuning_job()["HyperParameterTuningJobName"],
            *(["best so far"] if chart["chart"] == "objective-over-time" else []),
            "best job",
        ]
        # the axis labels are drawn: dark pixels in the band below the plot and the band left of it
        x, y, width, height = (round(v) for v in chart["box"])
        for band in ((x + 80, y + height - 24, x + width - 25, y + height), (x, y + 60, x + 24, y + height - 60)):
            dark = sum(n for n, (r, g, b) in image.crop(band).getcolors(maxcolors=1 << 16) or [] if r + g + b < 300)
            assert dark > 20, f"{chart['chart']}: axis label band {band} is blank"
    eta = next(c for c in charts if c["chart"] == "hyperparameter-eta")
    assert eta["xLabel"] == ["eta (log scale)"] and {"1e-4", "0.001", "0.01", "0.1", "1"} <= set(eta["ticks"])
