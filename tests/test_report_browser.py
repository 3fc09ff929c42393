"""The report in a real browser (headless Debian Chromium through selenium).

One report is built from a cohort whose IDs, column names and levels are hostile (``<script>``,
``$\\foo$``, quotes, unicode). The browser must show every one of them as text (no element created from
them, no script run, no console error), every image must decode, and — under print media at the
printable width of an A4 page — no table may be wider than the page (the print CSS wraps and shrinks
them), checked in the DOM and by printing to PDF. A screenshot goes to tests/artifacts/.
CI installs Debian's chromium and chromium-driver; the test skips, saying so, only where they are absent.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Chromium/chromedriver not installed (apt-get install chromium chromium-driver); .ci/run installs them",
)

SCRIPT = "<script>alert(1)</script>"
MATH = r"$\foo$"
QUOTES = "it's \"quoted\""
UNICODE = "Ünïcødé 日本 −1"
IMG = "<img src=x onerror=alert(2)>"
#: A4 (210 mm) minus the 12 mm margins of the print CSS, in CSS pixels (96 per inch)
PRINT_WIDTH = round((210 - 24) / 25.4 * 96)


def hostile_cohort() -> pd.DataFrame:
    import neuroimmune_stats as nis

    df = nis.load_example().copy()
    ids = df["subject_id"].astype(str).tolist()
    ids[0], ids[1], ids[2] = f"sub-{SCRIPT}", f"sub-{MATH}", f"sub-{QUOTES}"
    ids[3] = f"sub-{UNICODE}"
    df["subject_id"] = ids
    df["protocol"] = df["protocol"].astype(str).map({"1": MATH, "2": SCRIPT}).astype("category")
    df["subtype"] = df["subtype"].astype(str).map({"axial": f"axial {QUOTES}", "radicular": f"radicular {UNICODE}"})
    df["subtype"] = df["subtype"].astype("category")
    df[IMG] = 1.0
    df[MATH + " column"] = "x"
    # missing values so that IDs reach the exclusion notes
    df.loc[:3, "fss"] = float("nan")
    return df


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    from neuroimmune_stats.report import build_report

    out = tmp_path_factory.mktemp("browser") / "report.html"
    old = os.environ.get("NIS_QUICK")
    os.environ["NIS_QUICK"] = "1"
    try:
        build_report(hostile_cohort(), output=out, progress=False)
    finally:
        if old is None:
            os.environ.pop("NIS_QUICK")
    return out


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (dev extra) not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("profile")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1200,2000", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    try:
        yield d
    finally:
        d.quit()


def test_hostile_strings_render_as_text(report: Path, driver: Any) -> None:
    html = report.read_text(encoding="utf-8")
    assert SCRIPT not in html and "<img src=x" not in html
    driver.get(report.resolve().as_uri())
    assert "Neuroimmune" in driver.title
    assert driver.execute_script("return document.scripts.length") == 0
    assert driver.execute_script("return document.querySelectorAll('img[onerror], img[src=\"x\"]').length") == 0
    text = driver.execute_script("return document.body.innerText")
    for s in (SCRIPT, MATH, QUOTES, UNICODE, IMG, f"sub-{SCRIPT}", f"radicular {UNICODE}"):
        assert s in text, s
    n_images = driver.execute_script("return document.images.length")
    decoded = driver.execute_script(
        "return Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
    assert n_images >= 8 and decoded == n_images
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors
    headings = driver.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
    assert headings[0] == "Inputs" and "Table 1: participant characteristics" in headings
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report.png"))
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_no_table_wider_than_the_printed_page(report: Path, driver: Any) -> None:
    driver.get(report.resolve().as_uri())
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": PRINT_WIDTH, "height": 1100, "deviceScaleFactor": 1, "mobile": False})
    try:
        page = driver.execute_script("return document.documentElement.clientWidth")
        assert PRINT_WIDTH - 20 <= page <= PRINT_WIDTH  # less a scroll bar
        widths = driver.execute_script("""
            return Array.from(document.querySelectorAll('table')).map(t => {
                const r = t.getBoundingClientRect();
                return [t.closest('section').id, Math.ceil(r.right), t.scrollWidth,
                        t.querySelectorAll('thead th').length];
            });""")
        assert len(widths) >= 10
        too_wide = [w for w in widths if w[1] > page + 1 or w[2] > page + 1]
        assert too_wide == [], f"tables wider than the page ({page}px): {too_wide}"
        grid = [w for w in widths if w[0] == "mediation" and w[3] >= 9]
        assert grid, "the six-model grid keeps all its columns"
        assert driver.execute_script("return document.documentElement.scrollWidth") <= page + 1
        pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                          "preferCSSPageSize": True, "printBackground": True})
        data = base64.b64decode(pdf["data"])
        assert data[:5] == b"%PDF-" and data.count(b"/Type /Page") > 3
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "report.pdf").write_bytes(data)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
