"""The page with a fault injected, for the browser test of the error guard; never deployed.

Streamlit runs this file instead of app.py: it makes the optimizers raise an error whose
message names a file path, then runs app.py unchanged. A visitor has no way to do this.
"""

import runpy
from pathlib import Path

import optviz.study.results

ROOT = Path(__file__).resolve().parents[2]


def _fault(*args: object, **kwargs: object) -> None:
    msg = f"injected fault for the error-guard test, raised in {__file__}"
    raise RuntimeError(msg)


if __name__ == "__main__":  # as Streamlit runs it; pytest's doctest collection only imports it
    optviz.study.results.run_experiment = _fault
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
