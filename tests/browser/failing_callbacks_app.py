"""The page with every component's callback made to fail, for the browser test of the callback
guard; never deployed.

Streamlit runs this file instead of app.py: it makes the functions that the race's, the
sweep's, the map's and the basin maps' click callbacks call raise an error, then runs app.py
unchanged. A visitor has no way to do this.
"""

import runpy
from pathlib import Path

import ui.sweeps
import ui.views

ROOT = Path(__file__).resolve().parents[2]


def _fault(*args: object, **kwargs: object) -> None:
    msg = f"injected fault for the callback-guard test, raised in {__file__}"
    raise RuntimeError(msg)


if __name__ == "__main__":  # as Streamlit runs it; pytest's doctest collection only imports it
    for module, name in (
        (ui.views, "_on_click"),
        (ui.views, "_on_step"),
        (ui.sweeps, "_on_sweep_click"),
        (ui.sweeps, "_on_map_click"),
        (ui.sweeps, "_on_basin_click"),
    ):
        setattr(module, name, _fault)
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
