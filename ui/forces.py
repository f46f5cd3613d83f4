"""The forces while the race plays: the switch on the player, and every run's vectors for it.

The player's arrow button sends the switch (the component's ``forces`` trigger); the switch is
the page setting ``forces`` (optviz.settings.FORCES), so the link follows it. While it is on,
every run's vectors (:func:`optviz.draw.race.arrows`: the gradient, the velocity, the effective
step sizes) travel with the race, from the runs recorded with their state: the same recording,
under the same admission, as the step inspector's.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import surfaces
from optviz.settings import FORCES, Experiment
from optviz.text import section
from ui import inspector, work
from ui.state import lesson_held
from ui.text import words


def shown(experiment: Experiment, surf: surfaces.Surface) -> bool:
    """Whether the race draws the forces: asked for, not held by a lesson's question, and admitted
    by the budget. Refused, the page says why, in one line."""
    if not experiment.forces or lesson_held():
        return False
    seconds = inspector.recording_seconds(experiment, surf)
    if work.admit("inspect", seconds):  # the inspector's recording: one decision, one cost
        return True
    work.say_refused("inspect", seconds, what=words()("forces.what"))
    return False


def player_data(experiment: Experiment, drawn: bool) -> dict[str, Any]:
    """What the player needs for its button and its key: the switch, whether the vectors come,
    and the words."""
    return {"asked": experiment.forces, "shown": drawn, "text": section("forces", experiment.lang)}


def take(value: object) -> None:
    """The player's button: the switch, as the page setting (a value that is not a bool changes nothing)."""
    if isinstance(value, bool):
        st.session_state[FORCES.link_key] = value
