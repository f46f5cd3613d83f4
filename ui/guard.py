"""One guard around the page and every callback: an unexpected error becomes a short message in
the reader's language, the page goes back to the last view it drew, and no traceback is shown.

The script runs under :func:`guarded`; every widget's and component's callback (which Streamlit
runs before the script, where that guard does not reach) is made with :func:`callback`. Either
way the exception and its traceback go to the server's log with a short reference that the
visitor also sees, and the next run starts again from the last experiment the page drew
(:data:`LAST_GOOD`), so that a failure costs a change, never the page.
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from optviz.core import budget
from optviz.settings import DEFAULT, query_string
from optviz.text import DEFAULT_LANGUAGE
from ui import work
from ui.text import words

_LOG = logging.getLogger("optviz.app")
DEFAULT_LINK = "?" + query_string(DEFAULT)  # the default page
LAST_GOOD = "_last_good"  # the last experiment the page drew whole
RESTORE = "_restore"  # set by a failure: the next run starts from LAST_GOOD
RESTORING = "_restoring"  # this run started from LAST_GOOD: a failure now is not retried
FAILED = "_failed"  # (what failed, reference): said once on the next run


def _logged(what: str) -> str:
    """Log the exception being handled with a new reference, and return the reference."""
    reference = secrets.token_hex(3)
    _LOG.exception("%s failed; the visitor saw reference %s", what, reference)
    return reference


def callback(fn: Callable[..., Any]) -> Callable[..., None]:
    """``fn`` as a widget's or a component's callback, under the same guard as the script.

    A callback that raises changes nothing the visitor sees: the error is logged, and the next
    run starts again from the last experiment the page drew and says so.
    """

    @functools.wraps(fn)
    def guarded_callback(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001  (any error at all: that is the guard's job)
            reference = _logged(f"The callback {getattr(fn, '__qualname__', fn)!s}")
            st.session_state[FAILED] = ("guard.callback_failed", {"reference": reference})
            st.session_state[RESTORE] = True

    return guarded_callback


def fragment_run() -> bool:
    """Whether this is a fragment's own run (not a run of the whole page)."""
    context = get_script_run_ctx()
    return context is not None and bool(context.fragment_ids_this_run)


@contextlib.contextmanager
def alone() -> Iterator[None]:
    """A fragment's own run (the race alone, ui.views), under the guard as the script is: an
    unexpected error runs the whole page again from the last view drawn, which says so. Inside a
    run of the whole page, the page's guard (:func:`guarded`) is already there: this adds nothing."""
    if not fragment_run():
        yield
        return
    try:
        yield
    except Exception:  # noqa: BLE001  (any error at all: that is the guard's job)
        reference = _logged("A fragment of the page")
        st.session_state[FAILED] = ("guard.callback_failed", {"reference": reference})
        st.session_state[RESTORE] = True
        st.rerun(scope="app")


def failure_pending() -> bool:
    """Whether a callback failed before this run: the whole page then runs, to say so and go back."""
    return FAILED in st.session_state


def say_failure() -> None:
    """The message of a failure in the run before this one, once."""
    failed = st.session_state.pop(FAILED, None)
    if failed is not None:
        key, args = failed
        say = words()
        went_back = args.get("went_back") and key.startswith("budget.")  # the guard's own texts say so
        st.error(say(key, **args) + (" " + say("guard.went_back") if went_back else ""))


def remember(experiment: Any) -> None:
    """``experiment`` was drawn whole: a later failure goes back to it."""
    st.session_state[LAST_GOOD] = experiment
    st.session_state.pop(RESTORING, None)


def guarded(page: Callable[[], None]) -> None:
    """Run ``page``; an unexpected error goes back to the last view drawn, never to a traceback.

    The first failure after a view was drawn starts the page again from that view, with a
    message; a failure of that view itself (or before any view was drawn) takes the place of
    everything the page had drawn in the main area (the sidebar stays, to change a setting)
    with a short message and a way back to the default page. Streamlit's own control flow
    (``st.stop``, ``st.rerun``) is not an ``Exception`` and passes through.
    """
    slot = st.empty()
    try:
        with slot.container(), work.watched():
            work.start()
            page()
    except budget.Stopped as stop:
        if stop.reason == "gone":  # nobody is there to see the page: stop, quietly (ui.work logged it)
            return
        _LOG.warning("A page run was stopped after %.1f s of work", stop.seconds)
        state = st.session_state
        if LAST_GOOD not in state and not state.get(work.DRAW_LESS):  # a first page: draw less, once
            state[work.DRAW_LESS] = True
            state[FAILED] = ("budget.drew_less", {"seconds": work.seconds_text(budget.STOP_AFTER)})
            st.rerun()
        state[work.DRAW_LESS] = True
        _go_back(slot, ("budget.stopped", {"seconds": work.seconds_text(budget.STOP_AFTER)}))
    except budget.Busy:
        _go_back(slot, ("budget.busy", {}))
    except Exception:  # noqa: BLE001  (any error at all: that is the guard's job)
        reference = _logged("The page")
        _go_back(slot, ("guard.restored", {"reference": reference}), reference)


def _go_back(slot: Any, failed: tuple[str, dict[str, str]], reference: str | None = None) -> None:
    """The page could not be drawn: start again from the last view drawn, saying ``failed``; if
    that was the last view itself (or none was drawn), a short message and a way back instead."""
    state = st.session_state
    if LAST_GOOD in state and not state.get(RESTORING):
        key, args = failed
        state[FAILED] = (key, {**args, "went_back": True})
        state[RESTORE] = True
        st.rerun()
    state.pop(RESTORING, None)
    # One element in the container's place drops what the page drew there (st.empty()
    # or a new container would keep it).
    say = words()
    key, args = failed
    slot.error(say("guard.message", reference=reference) if reference else say(key, **args))
    link = DEFAULT_LINK if say.lang == DEFAULT_LANGUAGE else f"{DEFAULT_LINK}&lang={say.lang}"
    st.markdown(f'<a href="{link}" target="_self">{html.escape(say("guard.start_again"))}</a>', unsafe_allow_html=True)
