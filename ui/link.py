"""The address bar and the session: the link seeds the page, follows Back and Forward, and is written back."""

from __future__ import annotations

import streamlit as st

from optviz.core.specs import Problem
from optviz.settings import parse, parse_network
from optviz.settings.network import NetworkPage
from ui.controls import load
from ui.guard import LAST_GOOD, RESTORE, RESTORING
from ui.state import load_network

Query = dict[str, list[str]]


def _address_bar() -> Query:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def restore_last_good() -> None:
    """After a failure (ui.guard), the widgets go back to the last experiment the page drew."""
    state = st.session_state
    if state.pop(RESTORE, False) and LAST_GOOD in state:
        state[RESTORING] = True  # first: should this run fail too, it is not tried again
        last = state[LAST_GOOD]
        (load_network if isinstance(last, NetworkPage) else load)(last)


def _load_link(query: Query) -> list[Problem]:
    """Load the page ``query`` asks for into the widgets: the race's experiment, and over it the
    network page when the link's surface is ``network``. Returns the problems found in it."""
    experiment, problems = parse(query)
    load(experiment)
    network = parse_network(query)
    if network is None:
        return problems
    page, network_problems = network
    load_network(page)
    return problems + network_problems


def seed_from_link() -> list[Problem]:
    """On a session's first run, load the link's experiment into the widgets' state.

    Returns the problems found in the link (empty on later runs).
    """
    if st.session_state.get("_seeded"):
        return []
    problems = _load_link(_address_bar())
    st.session_state["_seeded"] = True
    return problems


def follow_link() -> list[Problem]:
    """After Back or Forward, load the link's experiment: the page follows the address bar.

    Streamlit reruns the script with the restored query string on Back and Forward, but the
    widgets still hold the later view (they were seeded once). A query that differs from
    the last one this page wrote came from the browser's history: load it into the widgets,
    as on a session's first run. Returns the problems found in that link.
    """
    written = st.session_state.get("_written_link")
    if written is None:  # the first run: seed_from_link has just loaded the link
        return []
    query = _address_bar()
    if query == written:
        return []
    return _load_link(query)


def write_link(query: dict[str, str | list[str]]) -> None:
    """Make the address bar show ``query`` (writes do not rerun the script)."""
    wanted = {key: value if isinstance(value, list) else [value] for key, value in query.items()}
    if _address_bar() != wanted:
        st.query_params.from_dict(query)
    st.session_state["_written_link"] = wanted


def share_url(query_string: str) -> str:
    """The full link to ``query_string`` on this server."""
    base = (st.context.url or "").rstrip("/") + "/"
    return base + ("?" + query_string if query_string else "")
