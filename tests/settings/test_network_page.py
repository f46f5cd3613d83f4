"""The network page's link: ``surface=network:data=digits,model=cnn,...`` read and written by the
same rows (optviz.settings.network), every value validated, a bad one refused with a problem."""

from hypothesis import given, settings
from hypothesis import strategies as st

from optviz.settings import parse
from optviz.settings.link import network_query, parse_network
from optviz.settings.network import SPECS, NetworkPage
from optviz.text.problems import problem_text
from tests.strategies import values

PAGES = st.fixed_dictionaries({spec.name: values(spec) for spec in SPECS}).filter(
    lambda v: not (v["data"] == "iris" and v["model"] == "cnn")
)


@settings(max_examples=60, deadline=None)
@given(PAGES, st.sampled_from(["en", "zh"]))
def test_every_network_page_round_trips_through_its_link(chosen, lang):
    page = NetworkPage.make(**chosen)
    query = network_query(page, lang)
    read, problems = parse_network(query)
    assert (read, problems) == (page, [])
    experiment, race_problems = parse(query)
    assert experiment.lang == lang
    assert race_problems == []  # the race's reader leaves network: to the network page


def test_the_issues_link_opens_the_cnn_on_digits_with_the_defaults():
    page, problems = parse_network({"surface": "network:data=digits,model=cnn"})
    assert problems == []
    assert (page.data, page.model, page.hidden_width, page.epochs, page.batch, page.seeds) == (
        "digits",
        "cnn",
        8,
        10,
        32,
        3,
    )
    assert page.text() == "network:data=digits,model=cnn"


def test_bad_settings_are_each_refused_with_one_message_and_a_fallback():
    page, problems = parse_network({"surface": "network:data=iris,model=cnn,epochs=99,seeds=2,colour=red,oops"})
    assert (page.data, page.model, page.epochs, page.seeds) == ("iris", "mlp", 30, 3)
    words = [problem_text(p, "en") for p in problems]
    assert "Ignored 'oops' in surface network (expected name=value)." in words
    assert "epochs=99 in surface network is outside [1, 30]; using 30." in words
    assert "The CNN takes images and iris has none: using the MLP." in words
    assert any("colour" in w for w in words)
    assert len(words) == 5
    assert all(problem_text(p, "zh") for p in problems)  # worded in Chinese too


def test_a_link_of_another_surface_is_not_the_network_page():
    assert parse_network({"surface": "valley:kappa=10"}) is None
    assert parse_network({}) is None
    assert parse_network({"surface": "network" + "x" * 5000}) is None


def test_the_landscape_can_be_centred_on_each_of_the_pages_optimizers():
    from optviz.settings.network import CENTRE
    from optviz.study.network import TUTORIAL

    assert CENTRE.high == len(TUTORIAL)
