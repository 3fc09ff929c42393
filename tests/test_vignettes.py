"""Every vignette executes (small resample counts through NIS_QUICK=1), so none can rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

VIGNETTES = sorted((Path(__file__).parents[1] / "vignettes").glob("[0-9][0-9]_*.py"))


def test_there_are_vignettes() -> None:
    assert VIGNETTES


@pytest.mark.parametrize("path", VIGNETTES, ids=lambda p: p.stem)
def test_vignette_runs(path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "NIS_QUICK": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
