"""The words for the problems a link can have: one template per problem code.

The core reports a :class:`~optviz.specs.Problem` (a code and its arguments); this module
words it. Arguments named ``value`` and ``unknown`` came from the link: they are quoted and
cut short, never trusted. ``where`` says which part of the link a problem is in: ``("run",
"adam")``, ``("surface", "valley")``, or absent for the link's own keys.
"""

from __future__ import annotations

from typing import Any

from optviz.specs import Problem, quote

ENGLISH = {
    "version": "Unknown link version {value}; read as version {version}.",
    "unknown_key": "Ignored unknown link parameter {unknown}.",
    "too_long": "Ignored an over-long {part}.",
    "unknown_surface": "Ignored unknown surface {unknown} (choose one of: {choices}); using {default}.",
    "malformed": "Ignored {value}{where} (expected name=value).",
    "unknown_param": "Ignored unknown parameter {unknown}{where} (its parameters: {valid}).",
    "not_a_number": "Ignored {key}={value}{where}: not a number.",
    "not_a_whole_number": "Ignored {key} {value}{where} (expected a whole number); using {default}.",
    "not_a_flag": "Ignored {key}={value}{where} (expected true or false).",
    "not_a_choice": "Ignored {key} {value}{where} (choose {choices}); using {default}.",
    "unknown_choice": "Ignored {value} in {key} (choose any of: {choices}).",
    "out_of_range": "{key}={number}{where} is outside {range}; using {used}.",
    "too_long_text": "{key} {value}{where} is longer than {limit} characters; kept the first {limit}.",
    "pair_needs_parts": "Ignored {key}={value}{where}: it takes two numbers ({parts}).",
    "bad_start": "Ignored start {value} (expected x,y); using the surface's default start.",
    "start_outside": "Start {point} is outside the plot of {surface}; using {used}.",
    "too_many_runs": "The link has {count} runs; kept the first {limit}.",
    "unknown_optimizer": "Ignored run {value}: unknown optimizer {unknown} (choose one of: {choices}).",
    "no_runs": "No valid run in the link; showing the default runs.",
    "constraint": "In run {optimizer}: {rule}; {repair}.",
    "more": "… and {count} more.",
}

# The cross-parameter rules of the optimizers and what the app does when a link breaks one.
RULES = {
    "nesterov_needs_momentum": "Nesterov momentum requires a momentum and zero dampening",
}
REPAIRS = {
    "nesterov_off": "turned nesterov off",
}

WHERE = {"run": " in run {name}", "surface": " in surface {name}"}
QUOTED = ("value", "unknown")


def where_text(where: tuple[str, str] | None) -> str:
    return "" if where is None else WHERE[where[0]].format(name=where[1])


def problem_text(problem: Problem) -> str:
    """``problem`` in English."""
    args: dict[str, Any] = dict(problem.args)
    for name in QUOTED:
        if name in args:
            args[name] = quote(args[name])
    args["where"] = where_text(args.get("where"))
    for name in ("choices", "parts", "valid"):
        if isinstance(args.get(name), (tuple, list)):
            args[name] = ", ".join(args[name])
    if problem.code == "constraint":
        args["rule"], args["repair"] = RULES[args["rule"]], REPAIRS[args["repair"]]
    return ENGLISH[problem.code].format(**args)


# The race player's words (optviz/assets/view.js); {n}, {step} and {steps} are filled in there.
PLAYER = {
    "loop": "Loop",
    "speed": "Speed",
    "speed_value": "{n} steps/s",
    "first": "First step (Home)",
    "back": "One step back (←)",
    "play": "Play or pause (space)",
    "forward": "One step forward (→)",
    "last": "Last step (End)",
    "fullscreen": "Full screen",
    "start": "start",
    "minimum": "minimum",
    "saddle": "saddle point",
    "run": "Run",
    "loss": "f(θ)",
    "step_of": "step {step} of {steps}",
    "diverged_at": "diverged at step {step}",
}

# The views beside the race (optviz.experiment.VIEW's choices).
VIEW_TITLES = {
    "loss": "Loss per step",
    "3d": "3-D view",
    "results": "Results",
    "rules": "Update rules",
    "inspect": "Step inspector",
}

# The step inspector's words (ui/inspector.py, and its arrows' key in optviz/assets/view.js).
# {step}, {steps}, {label} and {symbol} are filled in where they are used.
INSPECTOR_TEXT = {
    "run": "Inspect",
    "all_runs": "All runs",
    "how": "Pause the player or step through it (← →): this panel follows the step it shows.",
    "heading": "{label} — step {step} of {steps}",
    "at_start": "Step 0 is the start: no step has been taken yet. Step forward in the player (→) to inspect one.",
    "diverged": "This run diverged at step {step}: from there on it stays at its last finite point.",
    "quantity": "Quantity",
    "symbol": "Symbol",
    "value": "Value (x, y)",
    "meaning": "Meaning",
    "gradient": "Gradient $g_t = \\nabla f(\\theta_{t-1})$",
    "velocity": "Velocity ${symbol}$ (momentum)",
    "no_velocity": "None: this run steps along the gradient",
    "scale": "Adaptive scale (effective learning rate)",
    "step": "Step taken $\\Delta\\theta_t = \\theta_t - \\theta_{t-1}$",
    "scale_note": (
        "The adaptive scale is the learning rate this step actually applied to each coordinate: "
        "$-\\Delta\\theta_t$ divided by the velocity if the run keeps one, else by the gradient. "
        "It is read off the step the run took, so weight decay and Nesterov's or NAdam's extra "
        "gradient term show in it; — where that direction is 0."
    ),
    "symbols": "The rule's symbols at this step",
    "not_kept": "computed inside the step, not kept",
    "undefined": "—",
    "arrow_step": "step taken (true length)",
    "arrow_gradient": "−g: downhill (direction only)",
    "arrow_velocity": "velocity's push (direction only)",
}
