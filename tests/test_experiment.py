"""The link format: exact round trips, and no input whatever makes parsing raise."""

from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import surfaces
from optviz import OPTIMIZERS
from optviz.experiment import (
    DEFAULT,
    MAX_RUNS,
    MAX_STEPS,
    SPEEDS,
    TOLERANCE_RANGE,
    Experiment,
    Run,
    parse,
    query_string,
    to_query,
)


def bounded(low, high):
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


@st.composite
def runs(draw):
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    values = {}
    for hp in OPTIMIZERS[name].hyperparameters:
        if not draw(st.booleans()):
            continue
        if hp.kind == "bool":
            values[hp.name] = draw(st.booleans())
        elif hp.kind == "pair":
            values[hp.name] = tuple(draw(bounded(p.ui_low, p.ui_high)) for p in hp.parts)
        else:
            values[hp.name] = draw(bounded(hp.ui_low, hp.ui_high))
    try:
        return Run.make(name, **values)
    except ValueError:  # Nesterov without momentum: not a valid run
        assume(False)
        raise


@st.composite
def experiments(draw):
    name = draw(st.sampled_from(surfaces.names()))
    params = {p.name: draw(bounded(p.low, p.high)) for p in surfaces.entry(name).param_specs if draw(st.booleans())}
    surf = surfaces.get(name, **params)
    (x0, x1), (y0, y1) = surf.domain
    start = (draw(bounded(x0, x1)), draw(bounded(y0, y1))) if draw(st.booleans()) else None
    return Experiment.make(
        name,
        surface_params=params,
        start=start,
        steps=draw(st.integers(1, MAX_STEPS)),
        runs=draw(st.lists(runs(), max_size=MAX_RUNS)),
        tolerance=draw(bounded(*TOLERANCE_RANGE)),
        speed=draw(st.sampled_from(list(SPEEDS))),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(experiments())
def test_every_valid_experiment_round_trips_exactly_through_its_link(experiment):
    assert parse(to_query(experiment)) == (experiment, [])
    from_url = parse_qs(query_string(experiment), keep_blank_values=True)
    assert parse(from_url) == (experiment, [])


texts = st.text(max_size=60) | st.sampled_from(
    ["nan", "inf", "-1e400", "1e9", "0", "-0", ",", ":", "=", "adam:lr=nan", "sgd:nesterov=true"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["v", "surface", "start", "steps", "tol", "speed", "run", "junk"]) | st.text(max_size=8),
        st.lists(texts, max_size=14),
    )
)
def test_no_query_makes_parsing_raise(query):
    experiment, problems = parse(query)
    assert isinstance(experiment, Experiment)
    assert all(isinstance(p, str) and p for p in problems)
    assert len(experiment.runs) <= MAX_RUNS
    assert 1 <= experiment.steps <= MAX_STEPS
    assert experiment.build_surface().contains(*experiment.start)
    # What parsing returns is itself valid: it survives its own round trip.
    assert parse(to_query(experiment)) == (experiment, [])


def test_the_default_experiment_has_the_shortest_link():
    assert to_query(DEFAULT) == {"v": "1"}
    assert parse({}) == (DEFAULT, [])
    assert len(DEFAULT.runs) == 8


def test_a_link_is_human_readable():
    experiment = Experiment.make(
        "valley",
        surface_params={"kappa": 100},
        start=(-2.5, 1.5),
        steps=300,
        runs=[Run.make("sgd", lr=0.015, momentum=0.9), Run.make("adam", lr=0.05, betas=(0.8, 0.999))],
    )
    assert query_string(experiment) == (
        "v=1&surface=valley:kappa=100&start=-2.5,1.5&steps=300&run=sgd:lr=0.015,momentum=0.9&run=adam:lr=0.05,beta1=0.8"
    )


BAD_LINKS = [
    ({"surface": "banana"}, "Ignored unknown surface 'banana'"),
    ({"surface": "valley:kappa=5000"}, "kappa=5000 is outside [1, 1000] for surface valley; using 1000."),
    ({"surface": "valley:kappa=abc"}, "Ignored kappa='abc' for surface valley: not a number"),
    ({"surface": "valley:tilt=3"}, "Ignored unknown parameter 'tilt' of surface valley"),
    ({"start": "nan,1"}, "Ignored start 'nan,1'"),
    ({"start": "1;2"}, "Ignored start '1;2'"),
    ({"start": "99,-99"}, "Start 99,-99 is outside the plot of rosenbrock; using 2,-1."),
    ({"steps": "1e9"}, "Ignored steps '1e9'"),
    ({"steps": "999999999"}, "steps=999999999 is outside 1 to 5,000; using 5000."),
    ({"steps": "-4"}, "steps=-4 is outside 1 to 5,000; using 1."),
    ({"tol": "-1"}, "Ignored tol '-1'"),
    ({"speed": "warp"}, "Ignored speed 'warp'"),
    ({"run": "adamm:lr=0.1"}, "unknown optimizer 'adamm'"),
    ({"run": "adam:lr=nan"}, "Ignored lr='nan' in run adam: not a number."),
    ({"run": "adam:lr=1e9"}, "lr=1000000000 in run adam is outside [1e-05, 10]; using 10."),
    ({"run": "adam:momentum=0.9"}, "Ignored unknown hyperparameter 'momentum' of adam"),
    ({"run": "sgd:nesterov=maybe"}, "Ignored nesterov='maybe' in run sgd (expected true or false)."),
    ({"run": "sgd:nesterov=true"}, "Nesterov momentum requires a momentum and zero dampening; turned nesterov off."),
    ({"run": ["adam"] * 25}, "The link has 25 runs; kept the first 10."),
    ({"run": ["bogus", "junk:"]}, "No valid run in the link; showing the default runs."),
    ({"v": "7"}, "Unknown link version '7'; read as version 1."),
    ({"utm_source": "mail"}, "Ignored unknown link parameter 'utm_source'."),
    ({"surface": "x" * 5000}, "Ignored an over-long surface"),
]


@pytest.mark.parametrize(("query", "message"), BAD_LINKS, ids=[m[:40] for _, m in BAD_LINKS])
def test_bad_links_name_what_was_ignored(query, message):
    experiment, problems = parse(query)
    assert any(message in p for p in problems), problems
    assert parse(to_query(experiment)) == (experiment, [])


def test_repeated_keys_use_the_last_value_except_runs():
    experiment, _ = parse({"steps": ["10", "20"], "run": ["sgd", "adam"]})
    assert experiment.steps == 20
    assert [r.optimizer for r in experiment.runs] == ["sgd", "adam"]


def test_labels():
    assert Run.make("adam", lr=0.01).label() == "Adam, lr 0.01"
    assert Run.make("sgd", lr=1e-3, momentum=0.9, nesterov=True).label() == "SGD momentum 0.9 (Nesterov), lr 0.001"
    assert (
        Run.make("adam", lr=0.01, betas=(0.8, 0.99), amsgrad=True).label() == "Adam, lr 0.01, betas 0.8/0.99, amsgrad"
    )
