"""`pip install .` gives an `optviz` command that starts the page, with its settings and data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from benchmarks import load
from scripts.app_server import ROOT, free_port, wait_healthy

# What the wheel must carry besides the Python modules: the page's words, lessons, costs, the
# player's code, the bundled plotly.js, the digits data, the page's script and its settings.
CARRIED = (
    "optviz/text/en.toml",
    "optviz/text/zh.toml",
    "optviz/settings/lessons.toml",
    "optviz/core/costs.toml",
    "optviz/draw/assets/view.js",
    "optviz/draw/assets/view.css",
    "optviz/draw/assets/vendor/plotly-basic.min.js",
    "surfaces/datasets/digits.csv.gz",
    "ui/launch.py",
)
SKIPPED = {".git", ".venv", "tests", "static", "build", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def test_pip_install_gives_an_optviz_command_that_serves_the_page(tmp_path):
    source = tmp_path / "source"  # a copy: a build writes its own folders beside the sources
    shutil.copytree(ROOT, source, ignore=lambda _, names: [n for n in names if n in SKIPPED or n.endswith(".egg-info")])
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], check=True, timeout=600)
    (wheel,) = wheels.glob("optviz-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for carried in CARRIED:
        assert carried in names, carried
    data = {name.split(".data/data/", 1)[1] for name in names if ".data/data/" in name}
    assert data == {"share/optviz/app.py", "share/optviz/.streamlit/config.toml"}
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "optviz = ui.launch:main" in entry_points

    prefix = tmp_path / "prefix"  # installed apart from this checkout, its dependencies this environment's
    subprocess.run([*pip, "install", "--no-deps", "--prefix", str(prefix), str(wheel)], check=True, timeout=600)
    site = next(prefix.glob("lib/python*/site-packages"))
    port = free_port()
    command = [str(prefix / "bin" / "optviz"), "--server.headless", "true", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    environment = {**os.environ, "PYTHONPATH": str(site)}
    log = tmp_path / "optviz.log"
    with (
        log.open("w") as output,
        subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=output, stderr=subprocess.STDOUT) as served,
    ):
        try:
            url = f"http://127.0.0.1:{port}"
            assert wait_healthy(url, served, 60), log.read_text()
            (view,) = load.opened(url, ["v=2&lesson=muon_matrix&lang=zh"], timeout=60)
            assert view.error is None
            assert view.received > 10_000
            assert (prefix / "share" / "optviz" / "static" / "plotly-basic.min.js").is_file()  # served from there
            assert Path(site, "ui", "launch.py").is_file()
        finally:
            served.terminate()
            served.wait(20)
