"""One guard around the page: an unexpected error becomes a short message, never a traceback."""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Callable

import streamlit as st

from optviz.experiment import DEFAULT, query_string
from optviz.text import DEFAULT_LANGUAGE
from ui.text import words

_LOG = logging.getLogger("optviz.app")
DEFAULT_LINK = "?" + query_string(DEFAULT)  # the default page


def guarded(page: Callable[[], None]) -> None:
    """Run ``page``; an unexpected error becomes a short message and a way back, never a traceback.

    The exception and its traceback go to the server's log with a short reference that the
    visitor also sees. The message takes the place of everything the page had drawn in the
    main area (the sidebar stays, to change a setting). Streamlit's own control flow
    (``st.stop``, ``st.rerun``) is not an ``Exception`` and passes through.
    """
    slot = st.empty()
    try:
        with slot.container():
            page()
    except Exception:  # noqa: BLE001  (any error at all: that is the guard's job)
        reference = secrets.token_hex(3)
        _LOG.exception("The page failed; the visitor saw reference %s", reference)
        # One element in the container's place drops what the page drew there (st.empty()
        # or a new container would keep it).
        say = words()
        slot.error(say("guard.message", reference=reference))
        link = DEFAULT_LINK if say.lang == DEFAULT_LANGUAGE else f"{DEFAULT_LINK}&lang={say.lang}"
        st.markdown(
            f'<a href="{link}" target="_self">{html.escape(say("guard.start_again"))}</a>', unsafe_allow_html=True
        )
