"""The lessons: each opens from its link, asks before it shows, and its race shows what its answer says.

The checks below are the lessons' claims, computed from the same trajectories the page
draws: if a change to an optimizer, a surface or a lesson's link made a race tell another
story, its lesson's test fails (the text cannot drift from the figure).
"""

import base64

import numpy as np
import pytest

import ui.views
from optviz.settings import LESSON, VIEW, lesson_experiment, on_lesson, parse, to_query
from optviz.settings.lessons import LESSONS
from optviz.study.results import run_experiment, summarise
from optviz.text import LANGUAGES, Words
from tests.page.test_app import open_panel, race, start, views
from tests.page.test_app import path as race_path
from tests.study.test_network_lesson import check_network_test

# The lessons of a race, and those of the network page (the tutorial's own test), which has its own tests.
RACES = sorted(name for name, lesson in LESSONS.items() if not lesson.network)


def _race(name):
    experiment = lesson_experiment(name)
    surf = experiment.build_surface()
    paths = run_experiment(experiment)
    return experiment, surf, paths, summarise(experiment, surf, paths)


def _step_lengths(path):
    return np.linalg.norm(np.diff(path.points, axis=0), axis=1)


def check_learning_rate(experiment, surf, paths, rows):
    small, right, large = rows
    assert right.steps_to_tolerance is not None
    assert right.steps_to_tolerance <= 25
    assert small.steps_to_tolerance is None  # still crawling after 100 steps
    assert large.steps_to_tolerance is None
    assert large.diverged_at is not None  # its zig-zag grew until it left the picture
    assert small.diverged_at is None
    assert right.diverged_at is None
    assert experiment.runs[1].values()["lr"] < 2 / 10 < experiment.runs[2].values()["lr"]  # either side of 2/L


def check_zigzag(experiment, surf, paths, rows):
    plain, momentum = paths

    def across(path):  # v = -x sin 30° + y cos 30°: the distance to the valley's floor
        return -0.5 * path.points[:, 0] + np.sqrt(3) / 2 * path.points[:, 1]

    v = across(plain)[:40]
    assert np.all(np.sign(v[1:]) != np.sign(v[:-1]))  # plain GD lands on the other wall every step
    assert np.all(np.abs(v[2:]) < np.abs(v[1:-1]))  # each time 0.75 times as far out
    assert np.abs(across(momentum)[10:]).max() < 0.1 * np.abs(v[10:]).max()  # momentum's swings die out
    assert 60 <= rows[1].steps_to_tolerance <= 80
    assert 95 <= rows[0].steps_to_tolerance <= 110


def check_momentum(experiment, surf, paths, rows):
    plain, momentum = paths
    assert momentum.points[:, 0].max() > 0.05  # shot past the minimum at x = 0 (it starts at x = -2.5)
    assert plain.points[:, 0].max() <= 0  # plain GD never does
    gaps = momentum.losses - surf.minima[0].value
    assert np.any(np.diff(gaps) > 0)  # the loss rises again as it swings through
    assert rows[1].steps_to_tolerance is not None
    assert rows[0].steps_to_tolerance is None


def check_nesterov(experiment, surf, paths, rows):
    heavy, nesterov = paths
    assert nesterov.points[:, 0].max() < 0.8 * heavy.points[:, 0].max()  # overshoots less
    assert nesterov.points[:, 0].max() > 0  # but does overshoot
    assert rows[1].first_within < 30  # Nesterov comes within the tolerance first,
    assert rows[0].first_within > 60
    assert rows[1].steps_to_tolerance is not None  # and stays there,
    assert rows[0].steps_to_tolerance is None  # where plain momentum swings out again and ends outside


def check_adagrad_rmsprop(experiment, surf, paths, rows):
    adagrad, rmsprop = (_step_lengths(p) for p in paths)
    assert np.all(np.diff(adagrad[20:]) <= 0)  # once on the floor, every step shorter than the last
    assert adagrad[-1] < 0.02 * adagrad[0]
    assert rmsprop[-50:].mean() > 3 * adagrad[-50:].mean()
    assert rows[1].final_loss < 0.5 * rows[0].final_loss


def check_adadelta(experiment, surf, paths, rows):
    steps = _step_lengths(paths[0])
    assert np.all(np.abs(np.diff(paths[0].points[:2], axis=0)) == pytest.approx(0.00316, rel=0.01))
    assert steps[-1] > 1.1 * steps[0]  # the steps grow, slowly
    assert rows[0].steps_to_tolerance is None
    assert rows[1].steps_to_tolerance is not None


def check_adam_bias(experiment, surf, paths, rows):
    adam, sgd = paths
    first = adam.points[1] - adam.points[0]
    assert first == pytest.approx([0.1, -0.1], rel=1e-6)  # the learning rate in each coordinate
    g = adam.grads[0]
    assert abs(g[1] / g[0]) == pytest.approx(40)  # the gradient: 40 times steeper across
    step = sgd.points[1] - sgd.points[0]
    assert abs(step[1] / step[0]) == pytest.approx(40)


def check_saddle(experiment, surf, paths, rows):
    plain, momentum, adam = rows
    assert plain.steps_to_tolerance is None
    assert plain.first_within is None
    assert adam.steps_to_tolerance < momentum.steps_to_tolerance
    assert 40 <= adam.first_within <= 60
    assert 65 <= momentum.first_within <= 85


def check_rosenbrock(experiment, surf, paths, rows):
    sgd = paths[0]
    x, y = sgd.points[20:, 0], sgd.points[20:, 1]
    assert np.all(np.abs(y - x * x) < 0.01)  # on the floor of the valley from step 20 on
    assert np.linalg.norm(sgd.points[-1] - (1.0, 1.0)) > 1.0  # only part of the floor covered
    assert 850 <= rows[1].steps_to_tolerance <= 950


def check_rastrigin(experiment, surf, paths, rows):
    for path in paths:
        assert path.points[-1] == pytest.approx([-1.99, 2.985], abs=0.01)
        assert path.losses[-1] == pytest.approx(12.9, abs=0.05)


def check_himmelblau(experiment, surf, paths, rows):
    reached, _ = surf.nearest_minimum(paths[0].points[-1])
    nearest, _ = surf.nearest_minimum(np.array(experiment.start))
    assert (surf.minima[int(reached)].x, surf.minima[int(reached)].y) == (3.0, 2.0)
    assert int(nearest) != int(reached)  # not the nearest one
    assert rows[0].distance < 1e-6


def check_minibatches(experiment, surf, paths, rows):
    minimum = np.array([surf.minima[0].x, surf.minima[0].y])
    spread = [float(np.linalg.norm(p.points[150:] - minimum, axis=1).mean()) for p in paths]
    full, sixteen, one = spread
    assert full < 1e-6  # gradient descent sits at the minimum
    assert one > 0.2  # one row at a time keeps moving
    assert sixteen < 0.3 * one  # sixteen rows, much less


def check_lion_sign(experiment, surf, paths, rows):
    lion, adam = paths
    lr, start = experiment.runs[0].values()["lr"], np.array(experiment.start)
    grid = (lion.points - start) / lr
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-9)  # every point on the grid of spacing lr
    moves = np.abs(np.diff(lion.points, axis=0))
    np.testing.assert_allclose(moves, lr, rtol=1e-9)  # both coordinates move by lr: a diagonal, every step
    turns = np.flatnonzero(np.any(np.diff(np.sign(np.diff(lion.points, axis=0)), axis=0) != 0, axis=1))
    assert turns[0] >= 40  # one straight diagonal run for its first 40 steps and more
    assert len(turns) < 0.5 * len(moves)  # and then runs still: most steps repeat the one before
    assert np.all(_step_lengths(lion)[-20:] > 0.07)  # at the end, still hopping by lr * sqrt(2)
    assert np.linalg.norm(lion.points[-20:], axis=1).max() <= 2 * lr  # around the minimum, at (0, 0)
    assert rows[1].steps_to_tolerance is not None  # Adam settles
    assert np.all(_step_lengths(adam)[-20:] < 1e-3)


def check_schedule_free(experiment, surf, paths, rows):
    plain, cosine, free = paths  # schedule-free last: drawn over the others, its faint y too

    def jitter(points: np.ndarray) -> float:  # the mean length of the last 50 steps
        return float(np.linalg.norm(np.diff(points[-51:], axis=0), axis=1).mean())

    x, y = free.companion, free.points
    assert jitter(x) < jitter(cosine.points)  # x calmer than the cosine run near its end
    assert jitter(x) < 0.2 * jitter(y)  # y, where the gradients are taken, still jitters
    assert jitter(x) < 0.02 * jitter(plain.points)  # plain SGD at the same rate bounces on
    distance = [float(np.linalg.norm(p[-50:], axis=1).mean()) for p in (x, cosine.points, plain.points)]
    assert distance[2] > 3 * max(distance[:2])  # and scatters far wider around the minimum
    assert np.linalg.norm(x[-1]) < 0.2  # x ends near the minimum, at (0, 0)


def check_lbfgs_evaluations(experiment, surf, paths, rows):
    adam, lbfgs = paths
    adam_row, lbfgs_row = rows
    assert lbfgs_row.steps_to_tolerance <= 2  # within two steps
    assert lbfgs.counts[:2].tolist() == [25, 25]  # torch's max_eval each: two steps, 50 evaluations
    assert lbfgs_row.evaluations_to_tolerance == 50
    assert adam_row.steps_to_tolerance is None  # 500 evaluations do not bring Adam within it
    assert adam.losses[-1] - surf.f_star > 100 * experiment.tolerance
    assert (lbfgs.counts[5:] == 1).all()  # at the minimum a step evaluates once and stops
    assert lbfgs.grad_evals == 550
    # Its line's drop: within tolerance of f* by its 50th evaluation, in a few jumps
    assert lbfgs.evaluations[lbfgs_row.steps_to_tolerance] <= 50


def check_sam_sharp_flat(experiment, surf, paths, rows):
    sgd, narrow, wide = paths
    dimple, bowl = (np.array(m[:2]) for m in surf.minima)  # the sharp minimum and the flat one
    pass_ = np.array(surf.saddles[0][:2])

    def rise_within(centre, rho):  # the worst loss within rho of a minimum, above it
        turns = np.linspace(0.0, 2.0 * np.pi, 3601)
        ring = centre + rho * np.stack([np.cos(turns), np.sin(turns)], axis=-1)
        return float(surf.value(ring).max() - surf.value(centre))

    assert rise_within(dimple, 0.5) == pytest.approx(2.7, abs=0.05)  # the introduction's figures
    assert rise_within(bowl, 0.5) == pytest.approx(0.13, abs=0.005)
    assert np.linalg.norm(sgd.points[-1] - dimple) < 1e-6  # SGD settles in the dimple
    # so does SAM with rho 0.05, hopping to and fro across the dimple's bottom
    hops = narrow.points[-20:]
    assert np.linalg.norm(hops - dimple, axis=1).max() < 0.05
    assert np.linalg.norm(hops[2:] - hops[:-2], axis=1).max() < 1e-5 < np.linalg.norm(hops[1] - hops[0]) - 0.03
    assert np.linalg.norm(narrow.points[-1] - bowl) > 1.0
    # rho 0.5: it rests about 0.5 from the dimple's bottom, near the pass, higher than either minimum
    end = wide.points[-50:]
    assert np.linalg.norm(end - dimple, axis=1) == pytest.approx(0.5, abs=0.1)
    assert np.linalg.norm(end - pass_, axis=1).max() < 0.15
    assert np.linalg.norm(end - bowl, axis=1).min() > 0.8  # far from the flat minimum
    assert surf.value(end).min() > 0.3
    assert surf.value(pass_) == pytest.approx(0.36, abs=0.005)
    # its perturbed points (the faint dots) gather around the dimple's bottom near the end
    probes = wide.probes.points[-50:]
    assert np.median(np.linalg.norm(probes - dimple, axis=1)) < 0.15
    # each faint dot is rho uphill of the point its step started from
    for run, rho in ((narrow, 0.05), (wide, 0.5)):
        origins = run.points[run.probes.steps - 1]
        np.testing.assert_allclose(
            np.linalg.norm(run.probes.points - origins, axis=1), rho, rtol=1e-6
        )  # a float32 norm


def check_muon_matrix(experiment, surf, paths, rows):
    sgd, muon = paths
    lr = experiment.runs[1].values()["lr"]
    lengths = _step_lengths(muon) / lr
    assert lengths.min() > 0.67  # every step about 0.69 lr long (0.035), from start to end
    assert lengths.max() < 0.72
    assert np.median(lengths) == pytest.approx(0.69, abs=0.01)
    assert _step_lengths(sgd)[:2].min() > 20 * lr * lengths.max()  # SGD's first steps: over twenty times longer
    assert np.linalg.norm(sgd.points[-1]) < 1e-4  # SGD settles at the minimum, (0, 0)
    assert _step_lengths(sgd)[-10:].max() < 1e-4
    distance = np.linalg.norm(muon.points, axis=1)
    crossings = np.flatnonzero(np.diff(np.sign(muon.points[:, 0])))  # Muon swings through the minimum
    assert len(crossings) >= 3
    assert distance[-50:].min() > 1e-3  # and keeps hopping around it, never settling
    assert distance[-20:].max() < 0.15  # within a few of its steps


CHECKS = {name.removeprefix("check_"): check for name, check in globals().items() if name.startswith("check_")}
# The network page's lesson is checked by tests/study/test_network_lesson.py (its own file: a
# comparison of minutes' CPU on a busy machine runs beside the rest).
CHECKS["network_test"] = check_network_test


def test_there_are_ten_lessons_or_more_and_each_has_its_check():
    assert len(LESSONS) >= 10
    assert set(CHECKS) == set(LESSONS)
    assert LESSON.choices == ("", *LESSONS)


@pytest.mark.parametrize("name", RACES)
def test_each_lessons_race_shows_what_its_answer_says(name):
    CHECKS[name](*_race(name))


@pytest.mark.parametrize("name", RACES)
def test_a_lessons_link_is_the_lesson(name):
    experiment = lesson_experiment(name)  # its own link has no problem (or this raises)
    opened = parse({"lesson": name})[0]
    assert opened.physics() == experiment.physics()
    assert opened.lesson == name
    assert on_lesson(opened)
    assert to_query(opened) == {"v": "2", "lesson": name}
    # Changed, it keeps the lesson and says only what changed.
    steps = str(experiment.steps + 10)
    moved = parse({"lesson": name, "steps": steps})[0]
    assert moved.steps == experiment.steps + 10
    assert moved.lesson == name
    assert not on_lesson(moved)
    assert to_query(moved) == {"v": "2", "steps": steps, "lesson": name}
    assert parse(to_query(moved))[0] == moved


def test_another_surface_leaves_the_lessons_page_but_keeps_the_link_honest():
    experiment, problems = parse({"lesson": "saddle", "surface": "booth"})
    assert not problems
    assert experiment.surface == "booth"
    assert not on_lesson(experiment)
    assert parse(to_query(experiment))[0] == experiment


def test_an_unknown_lesson_is_a_problem_not_an_error():
    experiment, problems = parse({"lesson": "nope"})
    assert experiment.lesson == ""
    assert [p.code for p in problems] == ["not_a_choice"]


# ------------------------------------------------------------------------------ on the page


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", RACES)
def test_each_lesson_opens_from_its_link_with_its_question(name, lang):
    say = Words(lang)
    at = start({"lesson": name, "lang": lang})
    assert not at.exception
    assert not at.warning
    assert not at.info  # not "you have changed this lesson's setup": the page is the lesson
    assert dict(at.query_params) == {"v": "2", "lesson": name, **({"lang": lang} if lang != "en" else {})}
    assert say(f"lesson.{name}.title") in [h.value for h in at.subheader]
    text = "\n".join(m.value for m in at.markdown)
    assert say(f"lesson.{name}.question") in text
    choices = at.radio(key=f"lesson_choice_{name}__widget_{lang}")
    assert choices.options == say.list(f"lesson.{name}.choices")
    held = race(at)
    assert held["hold"] == say("lesson.hold")  # the race waits for the answer
    assert at.button(key="lesson_check").disabled


@pytest.mark.parametrize("lang", LANGUAGES)
def test_answering_plays_the_race_and_says_why(lang):
    say = Words(lang)
    lesson = LESSONS["momentum"]
    at = start({"lesson": "momentum", "lang": lang})
    wrong = (lesson.answer + 1) % 3
    at.radio(key=f"lesson_choice_momentum__widget_{lang}").set_value(wrong).run()
    at.button(key="lesson_check").click().run()
    data = race(at)
    assert data["hold"] is None
    assert data["autoplay"]
    verdict = at.warning[0].value
    assert say("lesson.wrong", answer=say.list("lesson.momentum.choices")[lesson.answer]) in verdict
    text = "\n".join(m.value for m in at.markdown)
    assert say("lesson.momentum.explanation") in text
    assert say("lesson.momentum.look_for") in text
    at.button(key="lesson_again").click().run()  # ask again: the race waits once more
    assert race(at)["hold"] == say("lesson.hold")
    at.radio(key=f"lesson_choice_momentum__widget_{lang}").set_value(lesson.answer).run()
    at.button(key="lesson_check").click().run()
    assert say("lesson.right") in at.success[0].value


def test_a_teacher_turns_the_question_off():
    at = start({"lesson": "saddle", "quiz": "false"})
    assert race(at)["hold"] is None  # no waiting
    assert not [r for r in at.radio if r.key == "lesson_choice_saddle"]  # the choices are listed, not asked
    assert at.query_params["quiz"] == "false"
    at = start({"lesson": "saddle"})
    at.toggle(key="quiz__widget_en").set_value(False).run()
    assert race(at)["hold"] is None
    assert at.query_params["quiz"] == "false"


def test_the_lesson_picker_loads_a_lesson_and_keeps_the_language():
    at = start({"lang": "zh"})
    at.selectbox(key="lesson__widget_zh").set_value("saddle").run()
    assert at.query_params["lesson"] == "saddle"
    assert at.query_params["lang"] == "zh"
    assert Words("zh")("lesson.saddle.title") in [h.value for h in at.subheader]
    assert race(at)["hold"] == Words("zh")("lesson.hold")


def test_a_projector_keeps_the_lesson_text_and_question():
    at = start({"lesson": "zigzag", "hide": "all", "lang": "zh"})
    say = Words("zh")
    assert say("lesson.zigzag.title") in [h.value for h in at.subheader]
    assert at.radio(key="lesson_choice_zigzag__widget_zh")
    at.radio(key="lesson_choice_zigzag__widget_zh").set_value(1).run()
    at.button(key="lesson_check").click().run()
    assert at.query_params["lang"] == "zh"
    assert race(at)["text"]["play"] == say("player.play")


# ------------------------------------------------------------------------------ no spoilers


def _page_text(at):
    """Every text a student can read on the page, the sidebar's included."""
    parts = []
    for kind in ("markdown", "caption", "subheader", "info", "warning", "success", "error", "latex"):
        parts += [element.value for element in at.get(kind)]
    return "\n".join(parts)


def _over_budget(at, view):
    """Whether the page says ``view`` is off because it costs more than a page may: what it shows
    after the answer in place of the figure (LBFGS's basin map, each of its cells its own loop)."""
    say = Words("en")
    what = say(f"view.{view}")
    head = say("budget.refused", what=what, seconds="", budget="").split(":")[0]
    return any(head in info.value for info in at.info)


@pytest.mark.parametrize("view", VIEW.choices)
@pytest.mark.parametrize("name", RACES)
def test_a_lesson_shows_no_outcome_before_its_answer_and_all_of_it_after(name, view):
    say = Words("en")
    lesson = lesson_experiment(name)
    at = start({"lesson": name, "view": view, "sweep_n": "50", "map_n": "10", "basin_n": "10"})
    assert not at.exception
    # Before the answer: the race waits at its start, and nothing else shows how it comes out.
    held = race(at)
    assert held["hold"] == say("lesson.hold")
    for index in range(len(held["runs"])):  # the browser gets each run's start, never its path
        assert [len(values) for values in race_path(held, index)] == [1, 1, 1]
        arrays = held["runs"][index]["arrays"]  # nor its second path (schedule-free's x)
        assert all(len(base64.b64decode(arrays[key])) == 4 for key in ("cx", "cy") if key in arrays)
        assert held["runs"][index]["diverged_at"] is None
    assert [data["kind"] for data in views(at)] == ["preload", "race"]  # no loss, 3-D, sweep, map or basins
    assert not at.dataframe  # no results
    text = _page_text(at)
    assert say(f"lesson.{name}.explanation") not in text
    assert say(f"lesson.{name}.look_for") not in text
    assert say(f"surface.{lesson.surface}.description") not in text  # the sidebar's text tells the outcome
    assert say("lesson.held_description") in text
    assert (say("lesson.held_view") in text) == (view not in ui.views.VIEWS_BEFORE_THE_ANSWER)
    assert not [h for h in at.markdown if h.value.startswith("####") and "step" in h.value]  # no inspector
    exports = at.get("popover")
    assert len(exports) == 1
    assert exports[0].proto.popover.disabled
    open_panel(at, 0)
    assert say("theory.caption", m="1", L="10", kappa="10")[:12] not in _page_text(at)  # no theory's best rate
    # After the answer: all of it.
    at.radio(key=f"lesson_choice_{name}__widget_en").set_value(LESSONS[name].answer).run()
    at.button(key="lesson_check").click().run()
    assert not at.exception
    played = race(at)
    assert played["hold"] is None
    assert len(race_path(played, 0)[0]) == played["steps"] + 1  # now every step
    text = _page_text(at)
    assert say(f"lesson.{name}.explanation") in text
    assert say(f"surface.{lesson.surface}.description") in text
    assert say("lesson.held_view") not in text
    assert not at.get("popover")[0].proto.popover.disabled
    kinds = [data["kind"] for data in views(at)]
    if view in ("loss", "3d", "sweep", "map", "basins") and not _over_budget(at, view):
        assert kinds.count("figure") >= 1, kinds
    elif view == "results":
        assert len(at.dataframe) == 1
    elif view == "inspect":
        assert [h for h in at.markdown if h.value.startswith("####")]
