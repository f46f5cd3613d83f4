"""The link format: exact round trips, and no input whatever makes parsing raise."""

import random
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import surfaces
from optviz import OPTIMIZERS
from optviz.core.specs import Problem
from optviz.draw.export.record import trajectories_json
from optviz.settings import (
    DEFAULT,
    DEFAULT_RUNS,
    MAX_RUNS,
    PRESETS,
    SETTINGS,
    STEPS,
    VERSION,
    Experiment,
    Run,
    network_query,
    parse,
    presets,
    public_query,
    query_string,
    to_query,
)
from optviz.settings.network import NetworkPage
from optviz.study.results import run_experiment
from optviz.text import LANGUAGES
from tests.link_grammar import queries, query_from_string, random_query, random_raw_query, raw_queries
from tests.strategies import experiments


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(experiments())
@example(Experiment.make("valley", runs=[Run.make("adadelta", name="0  0")]))  # found by the search: a name's spaces
def test_every_valid_experiment_round_trips_exactly_through_its_link(experiment):
    assert parse(to_query(experiment)) == (experiment, [])
    from_url = parse_qs(query_string(experiment), keep_blank_values=True)
    assert parse(from_url) == (experiment, [])


def check_what_parse_returns(query):
    experiment, problems = parse(query)
    assert isinstance(experiment, Experiment)
    assert all(isinstance(p, Problem) and str(p) for p in problems)
    assert len(experiment.runs) <= MAX_RUNS
    assert STEPS.low <= experiment.steps <= STEPS.high
    assert experiment.build_surface().contains(*experiment.start)
    # What parsing returns is itself valid: it survives its own round trip, as a dict and as text.
    assert parse(to_query(experiment)) == (experiment, [])
    assert parse(query_from_string(query_string(experiment))) == (experiment, [])


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(queries() | raw_queries().map(query_from_string))
def test_no_link_from_the_grammar_makes_parsing_raise(query):
    # Links built from the link grammar: every optimizer and hyperparameter (pairs, halves),
    # numbers where pairs belong and pairs where numbers do, repeated keys, odd numbers,
    # Unicode digits, percent-encoding, Markdown payloads, hundreds of fields.
    check_what_parse_returns(query)


def test_every_link_from_the_grammar_runs_what_it_parsed():
    """A link that parses must run: every run of it, for all its steps (scripts/fuzz_links.py
    checks 200,000 of them the same way)."""
    rng = random.Random(15)
    for i in range(300):
        query = query_from_string(random_raw_query(rng)) if i % 2 else random_query(rng)
        experiment, _ = parse(query)
        for trajectory in run_experiment(experiment):
            assert trajectory.points.shape[0] == experiment.steps + 1


texts = st.text(max_size=60) | st.sampled_from(
    ["nan", "inf", "-1e400", "1e9", "0", "-0", ",", ":", "=", "adam:lr=nan", "sgd:nesterov=true", "adam:betas=0.9"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["v", "surface", "start", "steps", "tol", "speed", "run", "junk"]) | st.text(max_size=8),
        st.lists(texts, max_size=14),
    )
)
def test_no_text_at_all_makes_parsing_raise(query):
    check_what_parse_returns(query)


def test_the_default_experiment_has_the_shortest_link():
    assert to_query(DEFAULT) == {"v": "2"}
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
        "v=2&surface=valley:kappa=100&start=-2.5,1.5&steps=300&run=sgd:lr=0.015,momentum=0.9&run=adam:lr=0.05,beta1=0.8"
    )


BAD_LINKS = [
    ({"surface": "banana"}, "Ignored unknown surface 'banana'"),
    ({"surface": "valley:kappa=5000"}, "kappa=5000 in surface valley is outside [1, 1000]; using 1000."),
    ({"surface": "valley:kappa=abc"}, "Ignored kappa='abc' in surface valley: not a number"),
    ({"surface": "valley:tilt=3"}, "Ignored unknown parameter 'tilt' in surface valley (its parameters: kappa, angle)"),
    ({"start": "nan,1"}, "Ignored start 'nan,1'"),
    ({"start": "1;2"}, "Ignored start '1;2'"),
    ({"start": "99,-99"}, "Start 99,-99 is outside the plot of Rosenbrock; using 2,-1."),
    ({"steps": "1e9"}, "Ignored steps '1e9'"),
    ({"steps": "999999999"}, "steps=999999999 is outside [1, 5000]; using 5000."),
    ({"steps": "-4"}, "steps=-4 is outside [1, 5000]; using 1."),
    ({"steps": "²"}, "Ignored steps '²' (expected a whole number); using 500."),
    ({"tol": "-1"}, "tol=-1 is outside [1e-12, 1000]; using 1e-12."),
    ({"tol": "abc"}, "Ignored tol='abc': not a number."),
    ({"speed": "warp"}, "Ignored speed 'warp'"),
    ({"run": "adamm:lr=0.1"}, "unknown optimizer 'adamm'"),
    ({"run": "adam:lr=nan"}, "Ignored lr='nan' in run Adam: not a number."),
    ({"run": "adam:lr=1e9"}, "lr=1000000000 in run Adam is outside [1e-05, 10]; using 10."),
    ({"run": "adam:momentum=0.9"}, "Ignored unknown parameter 'momentum' in run Adam (its parameters: lr, beta1,"),
    ({"run": "adam:betas=0.9"}, "Ignored betas='0.9' in run Adam: it takes one number for each of beta1, beta2."),
    (
        {"run": "ademamix:betas=0.9,0.99"},
        "Ignored betas='0.9,0.99' in run AdEMAMix: it takes one number for each of beta1, beta2, beta3.",
    ),
    ({"run": "adam:lr"}, "Ignored 'lr' in run Adam (expected name=value)."),
    ({"run": "sgd:nesterov=maybe"}, "Ignored nesterov='maybe' in run SGD (expected true or false)."),
    ({"run": "sgd:nesterov=true"}, "In run SGD: Nesterov momentum requires a momentum and zero dampening; turned"),
    ({"run": ["adam"] * 25}, "The link has 25 runs; kept the first 10."),
    ({"run": ["bogus", "junk:"]}, "No valid run in the link; showing the default runs."),
    ({"v": "7"}, "Unknown link version '7'; read as version 2."),
    ({"utm_source": "mail"}, "Ignored unknown link parameter 'utm_source'."),
    ({"surface": "x" * 7000}, "Ignored an over-long surface"),
]


@pytest.mark.parametrize(("query", "message"), BAD_LINKS, ids=[m[:40] for _, m in BAD_LINKS])
def test_bad_links_name_what_was_ignored(query, message):
    experiment, problems = parse(query)
    assert any(message in str(p) for p in problems), [str(p) for p in problems]
    assert parse(to_query(experiment)) == (experiment, [])


def test_repeated_keys_use_the_last_value_except_runs():
    experiment, problems = parse({"steps": ["10", "20"], "run": ["sgd:lr=0.1,lr=0.2", "adam"], "speed": ""})
    assert problems == []
    assert (experiment.steps, experiment.speed) == (20, "normal")
    assert experiment.runs == (Run.make("sgd", lr=0.2), Run.make("adam"))


def test_labels():
    assert Run.make("adam", lr=0.01).label() == "Adam, lr 0.01"
    assert Run.make("sgd", lr=1e-3, momentum=0.9, nesterov=True).label() == "SGD momentum 0.9 (Nesterov), lr 0.001"
    assert (
        Run.make("adam", lr=0.01, betas=(0.8, 0.99), amsgrad=True).label() == "Adam, lr 0.01, betas 0.8/0.99, amsgrad"
    )


def non_defaults(name):
    """Each hyperparameter of optimizer ``name`` at a value other than its default that the app
    offers: a flag flipped, each other choice, a whole number at its other end, a number and each
    part of a pair at an end of its range."""
    for hp in OPTIMIZERS[name].hyperparameters:
        if hp.kind == "bool":
            yield {hp.name: not hp.default}
        elif hp.kind == "choice":
            yield from ({hp.name: choice} for choice in hp.choices if choice != hp.default)
        elif hp.kind == "int":
            yield {hp.name: int(hp.app_high if hp.default != hp.app_high else hp.app_low)}
        elif hp.kind == "pair":
            for i, part in enumerate(hp.parts):
                value = list(hp.default)
                value[i] = part.app_high if part.default != part.app_high else part.app_low
                yield {hp.name: tuple(value)}
        else:
            yield {hp.name: hp.app_high if hp.default != hp.app_high else hp.app_low}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_setting_of_every_optimizer_is_named_in_its_runs_label(name, lang):
    for changed in non_defaults(name):
        repaired, _ = OPTIMIZERS[name].repair(changed)
        if repaired != changed:  # a value its rules refuse alone: not a run
            continue
        label = Run.make(name, **changed).label(lang)
        assert label.startswith(OPTIMIZERS[name].title), (changed, label)
        assert label != Run.make(name).label(lang), changed  # the change is in its name


def test_what_make_accepts_round_trips_and_what_a_link_would_change_it_refuses():
    with pytest.raises(ValueError, match=r"Invalid learning rate: 50.0 \(the app offers \[1e-05, 10\]\)"):
        Run.make("sgd", lr=50)
    with pytest.raises(ValueError, match="Invalid steps value: 99999"):
        Experiment.make(steps=99999)
    with pytest.raises(ValueError, match="Invalid start x"):
        Experiment.make("valley", start=(9.0, 0.0))
    with pytest.raises(TypeError, match="unknown setting 'stpes'"):
        Experiment.make(stpes=10)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        Run.make("sgd", nesterov=True)
    edge = Experiment.make("valley", steps=STEPS.high, runs=[Run.make("sgd", lr=10.0, momentum=0.999)])
    assert parse(to_query(edge)) == (edge, [])


def test_betas_read_as_a_torch_user_writes_them():
    for text in ("adam:lr=0.05,betas=0.8,0.99", "adam:lr=0.05,betas=(0.8,0.99)", "adam:betas=[0.8, 0.99],lr=0.05"):
        experiment, problems = parse({"run": text})
        assert problems == []
        assert experiment.runs == (Run.make("adam", lr=0.05, betas=(0.8, 0.99)),)
        assert to_query(experiment)["run"] == ["adam:lr=0.05,beta1=0.8,beta2=0.99"]


def test_a_pair_and_its_halves_apply_in_order():
    experiment, problems = parse({"run": ["adam:betas=0.8,0.99,beta1=0.7", "adam:beta2=0.9,betas=0.5,0.6"]})
    assert problems == []
    assert [r.values()["betas"] for r in experiment.runs] == [(0.7, 0.99), (0.5, 0.6)]


def test_a_number_where_a_pair_is_expected_and_a_pair_where_a_number_is():
    experiment, problems = parse({"run": ["adam:betas=0.8,lr=0.1", "adam:lr=0.1,0.2"]})
    assert [r.values()["lr"] for r in experiment.runs] == [0.1, 0.1]
    assert experiment.runs[0].values()["betas"] == (0.9, 0.999)
    texts = [str(p) for p in problems]
    assert "Ignored betas='0.8' in run Adam: it takes one number for each of beta1, beta2." in texts
    assert "Ignored '0.2' in run Adam (expected name=value)." in texts


def test_each_optimizer_repairs_only_its_own_rules():
    # The repair belongs to SGD's rule: other optimizers have no nesterov to switch off.
    for name, spec in OPTIMIZERS.items():
        repaired, problems = spec.repair({})
        assert (repaired, problems) == ({}, []), name
    experiment, problems = parse({"run": "sgd:lr=0.1,momentum=0,nesterov=true"})
    assert experiment.runs == (Run.make("sgd", lr=0.1),)
    assert [p.code for p in problems] == ["constraint"]


def test_every_setting_is_one_row_of_the_table():
    # The page settings are exactly the Experiment's fields other than its structure.
    structure = {"surface", "surface_params", "start", "runs"}
    assert {spec.name for spec in SETTINGS} == set(Experiment.__dataclass_fields__) - structure
    for spec in SETTINGS:
        assert getattr(DEFAULT, spec.name) == spec.default
        assert spec.link_key in to_query(Experiment.make(**{spec.name: _other_value(spec)}))


def _other_value(spec):
    if spec.kind == "choice":
        return next(c for c in spec.choices if c != spec.default)
    if spec.kind == "choices":
        return spec.choices[1:3]
    if spec.kind == "bool":
        return not spec.default
    if spec.kind == "text":
        return "x" * int(spec.high)
    return spec.app_high


def test_problems_are_structured_and_worded_in_one_place():
    _, problems = parse({"steps": "lots"})
    assert problems == [Problem.of("not_a_whole_number", key="steps", value="lots", default=500)]
    assert str(problems[0]) == "Ignored steps 'lots' (expected a whole number); using 500."


def test_runs_keep_their_colour_and_a_duplicate_is_numbered():
    adam = Run.make("adam", lr=0.05)
    experiment = Experiment.make(runs=[Run.make("sgd", slot=2), adam, adam, Run.make("rmsprop", slot=2)])
    assert experiment.slots() == [2, 1, 0, 3]  # a taken colour goes to the lowest free one
    assert experiment.labels() == ["SGD, lr 0.001", "Adam, lr 0.05", "Adam, lr 0.05 (2)", "RMSprop, lr 0.01"]
    assert [run.slot for run in experiment.runs] == [2, None, 0, None]  # None: its position
    assert parse(to_query(experiment)) == (experiment, [])
    assert to_query(experiment)["run"][0] == "sgd:colour=3"


def test_a_run_name_is_any_text_and_survives_its_link():
    named = Experiment.make(runs=[Run.make("adam", name="快的 Adam, lr=0.1: 100% & more")])
    text = query_string(named)
    assert "快" not in text.split("run=")[1].split("&")[0].replace("%", "")  # percent-encoded in the link
    assert parse(query_from_string(text)) == (named, [])
    assert named.labels() == ["快的 Adam, lr=0.1: 100% & more"]
    with pytest.raises(ValueError, match="at most 40 printable characters"):
        Run.make("adam", name="x" * 41)
    with pytest.raises(ValueError, match="at most 40 printable characters"):
        Run.make("adam", name="a\nb")
    experiment, problems = parse({"run": "adam:name=" + "y" * 60})
    assert experiment.runs[0].name == "y" * 40
    assert [p.code for p in problems] == ["too_long_text"]


@pytest.mark.parametrize("name", surfaces.names())
def test_a_surface_opens_on_its_own_default_page(name):
    page = Experiment.make(name)
    surf = surfaces.get(name)
    assert page.start == surf.default_start
    assert page.steps == surf.default_steps
    assert page.runs == tuple(Run.make(optimizer, **dict(hp)) for optimizer, hp in surf.default_runs)
    link = to_query(page)
    assert link == ({"v": VERSION} if name == DEFAULT.surface else {"v": VERSION, "surface": name})
    assert parse(link) == (page, [])


def test_a_version_1_link_opens_what_it_opened_and_is_rewritten_as_version_2():
    old, problems = parse({"v": "1", "surface": "booth"})
    assert problems == []
    assert old.runs == DEFAULT_RUNS  # version 1 raced the eight classic runs everywhere
    assert (old.steps, old.start) == (500, (-8.0, -6.0))  # and started Booth where it did then
    assert to_query(old)["v"] == VERSION
    assert parse(to_query(old)) == (old, [])
    assert parse({"surface": "booth"})[0] == old  # a link without a version is from version 1


def test_presets_take_the_surfaces_own_learning_rates():
    rosenbrock = surfaces.get("rosenbrock")
    assert presets(rosenbrock)["RAdam"].values()["lr"] == rosenbrock.learning_rate("RAdam", 0.05) != 0.05
    assert presets(surfaces.get("valley"))["RAdam"] == PRESETS["RAdam"]


def test_a_teacher_link_is_never_handed_on():
    """The teacher's page keeps its key in its own address bar; its share link, its exports and
    the network page's share link carry the class's code only."""
    teacher = Experiment.make("valley", lesson="momentum", class_code="K7P2QX9M", teacher="secret-key", seat="s3at")
    assert parse_qs(query_string(teacher))["teacher"] == ["secret-key"]  # restores the teacher's page
    shared = query_string(teacher.public())
    assert "secret-key" not in shared
    assert "s3at" not in shared
    assert parse_qs(shared)["class"] == ["K7P2QX9M"]
    assert "secret-key" not in trajectories_json(teacher, run_experiment(teacher))
    network = {
        **network_query(NetworkPage(), "en", "network_test"),
        "class": "K7P2QX9M",
        "teacher": "secret-key",
        "seat": "s3at",
    }
    assert public_query(network) == {**network_query(NetworkPage(), "en", "network_test"), "class": "K7P2QX9M"}
