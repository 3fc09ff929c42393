"""The report in a real browser: headless Chromium loads the file from disk with no console errors,
every image decodes, and a screenshot is saved to tests/artifacts/ (CI installs Debian's chromium and
chromium-driver; this test skips, saying so, only where they cannot be installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from neuroimmune_stats.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Chromium/chromedriver not installed (apt-get install chromium chromium-driver); .ci/run installs them",
)


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (dev extra) not installed")
    out = tmp_path / "report.html"
    assert main(["report", "-o", str(out), "--quiet"]) == 0
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1200,2000", f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=DRIVER)
    driver = webdriver.Chrome(options=opts, service=service)
    try:
        driver.get(out.resolve().as_uri())
        assert "Neuroimmune" in driver.title
        n_images = driver.execute_script("return document.images.length")
        decoded = driver.execute_script(
            "return Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
        assert decoded == n_images
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert errors == [], errors
        headings = driver.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        assert "Table 1: participant characteristics" in headings
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "report.png"))
        assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    finally:
        driver.quit()
