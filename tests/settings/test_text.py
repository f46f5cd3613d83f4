"""The catalogs: every text in both languages, with the same placeholders, and none missing."""

import re
from pathlib import Path

import pytest

import surfaces
from optviz.core.optimizers import OPTIMIZERS
from optviz.core.specs import Problem
from optviz.draw.race import player_text
from optviz.settings import LESSON, SETTINGS, SPEED
from optviz.settings import PRESETS as PRESET_RUNS
from optviz.settings.lessons import LESSONS
from optviz.teach.theory import learning_rates
from optviz.text import DEFAULT_LANGUAGE, LANGUAGES, Words, catalog, fill, has, hyperparameter_help, placeholders
from optviz.text.problems import problem_text

ROOT = Path(__file__).resolve().parents[2]
OTHERS = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
LATEX = re.compile(r"\$[^$]*\$")


@pytest.mark.parametrize("lang", OTHERS)
def test_every_key_is_in_both_catalogs(lang):
    english, other = catalog(DEFAULT_LANGUAGE), catalog(lang)
    assert sorted(set(english) - set(other)) == [], f"missing in {lang}.toml"
    assert sorted(set(other) - set(english)) == [], f"missing in {DEFAULT_LANGUAGE}.toml"


@pytest.mark.parametrize("lang", OTHERS)
def test_translations_keep_placeholders_lists_and_formulas(lang):
    english, other = catalog(DEFAULT_LANGUAGE), catalog(lang)
    for key, text in english.items():
        theirs = other[key]
        if isinstance(text, list):
            assert isinstance(theirs, list), key
            assert len(theirs) == len(text), key
            pairs = list(zip(text, theirs, strict=True))
        else:
            assert isinstance(theirs, str), key
            pairs = [(text, theirs)]
        for mine, translated in pairs:
            assert placeholders(mine) == placeholders(translated), key
            assert sorted(LATEX.findall(mine)) == sorted(LATEX.findall(translated)), key
            assert translated.strip(), key


def test_chinese_uses_the_standard_terms():
    zh = catalog("zh")
    text = " ".join(v if isinstance(v, str) else " ".join(v) for v in zh.values())
    for term in ("学习率", "动量", "梯度", "鞍点", "收敛", "发散"):
        assert term in text, term
    assert "学习率" in zh["hyperparameter.lr"]
    assert "鞍点" in zh["surface.saddle.title"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_everything_a_page_names_has_its_words(lang):
    say = Words(lang)
    for name in surfaces.names():
        assert say(f"surface.{name}.title")
        assert say(f"surface.{name}.description")
        for param in surfaces.entry(name).param_specs:
            assert say(f"surface.{name}.parameter.{param.name}")
    for name, optimizer in OPTIMIZERS.items():
        assert say(f"optimizer.{name}.title") == optimizer.title  # torch's class name, in every language
        assert len(say(f"optimizer.{name}.summary")) > 60
        assert say(f"optimizer.{name}.reference")
        for hp in optimizer.hyperparameters:
            for part in (hp, *hp.parts):
                assert hyperparameter_help(name, part.name, lang)
    for spec in SETTINGS:
        assert say(f"setting.{spec.name}.title")
        assert say(f"setting.{spec.name}.help")
    for choice in SPEED.choices:
        assert say(f"setting.speed.choice.{choice}")
    for label in PRESET_RUNS:
        assert say(f"preset.{label}")
    for name in LESSON.choices[1:]:
        for part in ("title", "intro", "question", "explanation", "look_for"):
            assert say(f"lesson.{name}.{part}")
        assert 2 <= len(say.list(f"lesson.{name}.choices")) <= 4
        assert LESSONS[name].answer < len(say.list(f"lesson.{name}.choices"))
    for name in LESSON.choices[1:]:  # the right answer is not told by its length
        choices = say.list(f"lesson.{name}.choices")
        right = len(choices.pop(LESSONS[name].answer))
        assert right <= 1.25 * max(map(len, choices)), f"{name} ({lang}): the right answer is the longest by far"
    assert set(player_text(lang)) == {k.removeprefix("player.") for k in catalog("en") if k.startswith("player.")}
    for value in learning_rates(surfaces.get("valley")).values:
        assert value.name(lang)
        assert value.explanation(lang)


# Keys the code asks for by name: say("page.title"), words()("lesson.check"), Words(..)("...").
_LITERAL_KEY = re.compile(r"""\b(?:say|words\(\)|words|self\.words)\(\s*["']([a-z_][a-z0-9_.]*)["']""")


def test_every_literal_key_in_the_code_exists():
    keys = set(catalog(DEFAULT_LANGUAGE))
    sources = [*ROOT.glob("*.py"), *(ROOT / "optviz").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
    sources += list((ROOT / "surfaces").rglob("*.py"))
    found = {key for path in sources for key in _LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}
    assert len(found) > 40  # the pattern still finds the page's keys
    assert sorted(found - keys) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_problem_code_is_worded(lang):
    problems = [
        Problem.of("version", value="9", version="2"),
        Problem.of("unknown_key", unknown="x"),
        Problem.of("too_long", part="run"),
        Problem.of("unknown_surface", unknown="x", choices=["a", "b"], default="rosenbrock"),
        Problem.of("malformed", value="x", where=("run", "adam")),
        Problem.of("unknown_param", unknown="x", where=("surface", "valley"), valid=["kappa", "angle"]),
        Problem.of("not_a_number", key="lr", value="x"),
        Problem.of("not_a_whole_number", key="steps", value="x", default=500),
        Problem.of("not_a_flag", key="quiz", value="x"),
        Problem.of("not_a_choice", key="lang", value="x", choices=["en", "zh"], default="en"),
        Problem.of("unknown_choice", key="hide", value="x", choices=["all"]),
        Problem.of("out_of_range", key="lr", number="99", range="[1e-05, 10]", used="10"),
        Problem.of("too_long_text", key="name", value="x", limit=40),
        Problem.of("pair_needs_parts", key="betas", value="x", parts=["beta1", "beta2"]),
        Problem.of("bad_start", value="x"),
        Problem.of("start_outside", point="9,9", surface="valley", used="3,3"),
        Problem.of("too_many_runs", count=11, limit=10),
        Problem.of("unknown_optimizer", value="x", unknown="x", choices=["sgd"]),
        Problem.of("no_runs"),
        Problem.of("constraint", optimizer="sgd", rule="nesterov_needs_momentum", repair="nesterov_off"),
        Problem.of("refused", rule="nesterov_needs_momentum"),
        Problem.of("more", count=3),
        Problem.of("unknown_schedule", value="x", unknown="x", choices=["steplr"]),
        Problem.of("bad_surface", surface="formula", reason="Invalid formula: x.y", default="rosenbrock"),
        Problem.of("bad_argument", key="gamma", value=5.0, range="[0, 1]", where=("schedule", "StepLR")),
        Problem.of("bad_milestones", key="milestones", value="soon", range="", where=("schedule", "MultiStepLR")),
        Problem.of("network_cnn_images", data="iris"),
        *(Problem.of(code) for code in ("class_store", "class_too_many", "class_teacher", "class_guesses")),
        *(Problem.of(code) for code in ("class_revealed", "class_busy", "class_vote_flood")),
        Problem.of("class_lesson", value="x"),
        Problem.of("class_ended", label="K7P2-QX9M"),
        Problem.of("class_code", value="K7", length=8),
        Problem.of("class_unknown", label="K7P2-QX9M"),
        Problem.of("class_choice", value=7),
        Problem.of("class_full", most=1000),
    ]
    codes = {key.removeprefix("problem.") for key in catalog("en") if key.startswith("problem.")}
    assert {p.code for p in problems} == codes - {"list_separator"}
    for problem in problems:
        text = problem_text(problem, lang)
        assert "{" not in text, (problem.code, text)  # every placeholder filled


def test_fill_leaves_latex_braces_alone():
    assert fill(r"$\theta_{t-1}$ at step {step}", {"step": 3, "t": 9}) == r"$\theta_{t-1}$ at step 3"


def test_an_unknown_language_falls_back_to_english():
    assert Words("xx")("page.heading") == Words("en")("page.heading")
    assert has("page.heading", "zh")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_surface_parameter_is_named_in_each_language(lang):
    for name in surfaces.names():
        for param in surfaces.entry(name).param_specs:
            assert has(f"parameter_title.{param.name}", lang), (name, param.name)
    assert Words("zh")("parameter_title.angle") == "角度"  # not the English name on a Chinese page
