"""The ``optviz`` command that ``pip install .`` makes: the page on this machine.

It runs ``python -m streamlit run app.py`` in the folder that holds the page's script and its
server settings (``.streamlit/config.toml``): the source tree's, or, for an installed copy, the
one pip put them in (``<prefix>/share/optviz``, pyproject.toml's data-files). Its arguments go
to Streamlit: ``optviz --server.port 8502 --server.address 0.0.0.0``.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

SHARED = Path("share") / "optviz"  # where pip puts app.py and .streamlit/, under its prefix


def home() -> Path:
    """The folder with app.py and its .streamlit settings."""
    packages = Path(__file__).resolve().parent.parent  # the source tree, or site-packages
    if (packages / "app.py").is_file():
        return packages
    # <prefix>/lib/pythonX.Y/site-packages: pip's prefix for this install, then this Python's
    for prefix in (packages.parents[2], Path(sysconfig.get_path("data"))):
        if (prefix / SHARED / "app.py").is_file():
            return prefix / SHARED
    msg = f"optviz: the page's script is not installed beside its packages ({packages})"
    raise SystemExit(msg)


def main() -> None:
    folder = home()
    os.chdir(folder)  # Streamlit reads .streamlit/config.toml from here, and serves static/ here
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", "app.py", *sys.argv[1:]])
