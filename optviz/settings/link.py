"""Reading and writing a link: an Experiment's query string, versioned, human-readable and minimal.

Values equal to the defaults are left out::

    ?v=1&surface=valley:kappa=100&start=-2.5,1&steps=300
        &run=sgd:lr=0.015,momentum=0.9&run=adam:lr=0.05,beta1=0.8

The page settings' keys and values come from the settings table (:mod:`optviz.settings.table`).
:func:`parse` never raises: whatever a link holds, it returns a valid Experiment and a list of
:class:`~optviz.core.specs.Problem` naming what was ignored or adjusted.
:meth:`~optviz.settings.experiment.Experiment.make` accepts exactly what a link can hold, so
:func:`to_query` and :func:`parse` round-trip every Experiment it makes. A lesson is a link too
(``optviz/settings/lessons.toml``): :func:`lesson_experiment` reads it here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlencode

import surfaces
from optviz.core.optimizers import OPTIMIZERS
from optviz.core.schedules import read_schedule, schedule_text
from optviz.core.specs import Problem, Spec, Value, number_text, read_number
from optviz.settings import network
from optviz.settings.experiment import (
    DEFAULT,
    VERSION,
    VERSIONS,
    Experiment,
    Pairs,
    Run,
    normalise_slots,
    runnable,
)
from optviz.settings.lessons import LESSONS
from optviz.settings.network import NetworkPage
from optviz.settings.table import (
    BATCH,
    COLOUR,
    LANG,
    LESSON,
    MAX_RUNS,
    NAME,
    PRIVATE,
    QUIZ,
    SCHEDULE,
    SETTINGS,
    STEPS,
)
from optviz.text.problems import problem_text
from surfaces.formula import FormulaError

# A longer value is junk, not an experiment (a typed formula of 500 Chinese characters,
# percent-encoded, is 4,500).
MAX_QUERY_VALUE = 6000


# ------------------------------------------------------------------------------ writing links


def _items_text(items: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{key}={value}" for key, value in items)


def to_query(experiment: Experiment) -> dict[str, str | list[str]]:
    """The link form of ``experiment``: a mapping for ``st.query_params.from_dict``."""
    query: dict[str, str | list[str]] = {"v": VERSION}
    lesson = lesson_experiment(experiment.lesson) if experiment.lesson else None
    on_lesson_surface = lesson is not None and lesson.surface_key() == experiment.surface_key()
    # A lesson's link leaves out what the lesson sets: ?lesson=momentum opens it as it is.
    base = lesson if on_lesson_surface else experiment.defaults()
    if not on_lesson_surface and (lesson is not None or experiment.surface_key() != (DEFAULT.surface, ())):
        text = experiment.surface
        if experiment.surface_params:
            specs = {p.name: p for p in surfaces.entry(experiment.surface).param_specs}
            text += ":" + _items_text((k, specs[k].text(v)) for k, v in experiment.surface_params)
        query["surface"] = text
    if experiment.start != base.start:
        query["start"] = ",".join(number_text(c) for c in experiment.start)
    for spec in SETTINGS:
        value = experiment.setting(spec)
        if value != base.setting(spec):
            query[spec.link_key] = spec.text(value)
    if experiment.runs != base.runs:
        query["run"] = [run_text(run) for run in experiment.runs] or ["none"]
    return query


def run_text(run: Run) -> str:
    """A run's link form: ``adam:lr=0.05,beta1=0.8,name=Fast%20Adam,colour=3``."""
    spec = run.spec
    items = [item for name, value in run.hyperparameters for item in spec.hyperparameter(name).items(value)]
    if run.batch is not None:
        items.append((BATCH.link_key, BATCH.text(run.batch)))
    if run.schedule is not None:
        items.append((SCHEDULE.link_key, schedule_text(run.schedule)))
    if run.name:
        items.append((NAME.link_key, NAME.text(run.name)))
    if run.slot is not None:
        items.append((COLOUR.link_key, COLOUR.text(run.slot + 1)))
    return run.optimizer + (":" + _items_text(items) if items else "")


def query_string(experiment: Experiment | Mapping[str, str | list[str]]) -> str:
    """``to_query`` (or a query already made, the network page's) as the text after "?"
    (repeated keys for the runs), its punctuation readable."""
    query = experiment if isinstance(experiment, Mapping) else to_query(experiment)
    return urlencode(query, doseq=True, safe=":,=/()*^!~'")


def public_query(query: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    """A link the page may hand on: ``query`` without a teacher link's key or a student's seat
    (Experiment.public)."""
    return {key: value for key, value in query.items() if key not in {spec.link_key for spec in PRIVATE}}


# ------------------------------------------------------------------------------ reading links

LINK_KEYS = ("v", "surface", "start", "run", *(spec.link_key for spec in SETTINGS))


def parse(query: Mapping[str, str | list[str]]) -> tuple[Experiment, list[Problem]]:
    """Read an Experiment from a link's query; never raises.

    ``query`` maps each key to its value or to the list of its values (repeated keys, as
    ``{k: st.query_params.get_all(k)}`` gives). Returns the experiment and the problems
    found, each naming what was ignored or adjusted and the value used instead. A repeated
    key counts once, with its last value, except ``run``, which is repeated once per run.
    """
    problems: list[Problem] = []
    values = {str(key): _as_list(value) for key, value in query.items()}

    version = _last(values, "v") or "1"  # a link without a version is from version 1
    if version not in VERSIONS:
        problems.append(Problem.of("version", value=version, version=VERSION))
        version = VERSION

    # A lesson is a page of its own: the link's other keys change it as they change a surface's
    # default page, and a surface that is not the lesson's opens that surface's default page.
    lesson = _read_setting(LESSON, _last(values, LESSON.link_key), LESSON.default, problems)
    surface_text = _last(values, "surface")
    if lesson and surface_text is None:
        surface_name, surface_params = lesson_experiment(lesson).surface_key()
    else:
        surface_name, surface_params = _read_surface(surface_text, problems)
    base = Experiment(surface_name, surface_params).defaults(version)
    if lesson and lesson_experiment(lesson).surface_key() == (surface_name, surface_params):
        base = lesson_experiment(lesson)
    surf = base.build_surface()
    start = _read_start(_last(values, "start"), surf, base.start, problems)
    settings = {
        spec.name: _read_setting(spec, _last(values, spec.link_key), base.setting(spec), problems)
        for spec in SETTINGS
        if spec is not LESSON
    }
    settings[LESSON.name] = lesson
    runs = _read_runs(values.get("run"), base.runs, surf, settings[STEPS.name], problems)
    problems.extend(Problem.of("unknown_key", unknown=key) for key in values if key not in LINK_KEYS)
    experiment = Experiment(surface_name, surface_params, start, runs, **settings)
    return experiment, problems


def parse_network(query: Mapping[str, str | list[str]]) -> tuple[NetworkPage, list[Problem]] | None:
    """The network page a link asks for (``surface=network:data=digits,model=cnn,...``), and the
    problems found in its settings; None when the link's surface is not ``network``. Never raises.
    Its other keys are read by :func:`parse` as for any page (the language among them)."""
    values = {str(key): _as_list(value) for key, value in query.items()}
    text = _last(values, "surface")
    lesson = _last(values, LESSON.link_key)
    if text is None and lesson in LESSONS and LESSONS[lesson].network:  # ?lesson=...: the lesson's own page
        text = _last(LESSONS[lesson].query(), "surface")
    if text is None or len(text) > MAX_QUERY_VALUE or _split(text)[0] != network.NAME:
        return None
    problems: list[Problem] = []
    _, items, malformed = _split(text)
    where = ("surface", network.NAME)
    problems.extend(Problem.of("malformed", value=piece, where=where) for piece in malformed)
    chosen = _read_values(network.SPECS, items, where, problems)
    return network.read(chosen, problems), problems


def network_query(page: NetworkPage, lang: str, lesson: str = "", *, quiz: bool = True) -> dict[str, str]:
    """The link of the network page ``page``, in ``lang``, in ``lesson`` (a lesson of the network
    page; its question off without ``quiz``): a mapping for ``st.query_params.from_dict``. A
    lesson's page as the lesson set it up is ``?lesson=<id>`` alone."""
    query = {"v": VERSION}
    asked = parse_network({LESSON.link_key: lesson}) if lesson else None
    if asked is None or asked[0] != page:
        query["surface"] = page.text()
    if lang != LANG.default:
        query[LANG.link_key] = lang
    if lesson:
        query[LESSON.link_key] = lesson
        if not quiz:
            query[QUIZ.link_key] = "false"
    return query


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _last(values: Mapping[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[-1] if found else None


def _read_setting(spec: Spec, text: str | None, default: Value, problems: list[Problem]) -> Value:
    if text is None or not text.strip():  # an empty value is no value: ?speed= means the default
        return default
    if len(text) > MAX_QUERY_VALUE:
        problems.append(Problem.of("too_long", part=spec.link_key))
        return default
    value, problem = spec.read(text)
    if problem is not None:
        problems.append(problem)
    return default if value is None else value


def _split(text: str, pairs: Iterable[str] = ()) -> tuple[str, list[tuple[str, str]], list[str]]:
    """'name:k=v,k=v' -> ('name', [(k, v), ...], [malformed pieces]).

    A piece without '=' that follows a pair's name continues it, so ``betas=0.9,0.999`` and
    ``betas=(0.9,0.999)`` read as torch users write them.
    """
    name, _, rest = text.partition(":")
    items: list[tuple[str, str]] = []
    malformed: list[str] = []
    pair_names = set(pairs)
    for piece in rest.split(","):
        key, sep, value = piece.partition("=")
        if sep and key.strip():
            items.append((key.strip(), value.strip()))
        elif items and items[-1][0] in pair_names and items[-1][1].count(",") == 0 and piece.strip():
            items[-1] = (items[-1][0], items[-1][1] + "," + piece.strip())
        elif piece.strip():
            malformed.append(piece)
    return name.strip(), items, malformed


def _read_pair(spec: Spec, text: str, where: tuple[str, str], problems: list[Problem]) -> tuple[Any, ...] | None:
    """A pair such as betas from "0.9,0.999" or "(0.9, 0.999)" (or AdEMAMix's three betas); None when
    it is not one number for each of its parts."""
    texts = text.strip().strip("()[]").split(",")
    if len(texts) != len(spec.parts):
        problems.append(Problem.of("pair_needs_parts", key=spec.name, value=text, parts=spec.names(), where=where))
        return None
    values = []
    for part, part_text in zip(spec.parts, texts, strict=True):
        value, problem = part.read(part_text)
        if problem is not None:
            problems.append(Problem(problem.code, (*problem.args, ("where", where))))
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def _read_values(
    specs: tuple[Spec, ...], items: list[tuple[str, str]], where: tuple[str, str], problems: list[Problem]
) -> dict[str, Any]:
    """Values for ``specs`` from a link's ``name=value`` items: a run's or a surface's.

    A pair is read whole (``betas=0.9,0.999``) or by its parts (``beta1=0.8``); a later item
    overrides an earlier one, as a repeated key of the link does. What cannot be read is
    reported and left out.
    """
    by_name = {spec.name: spec for spec in specs}
    by_part = {part.name: (spec, i) for spec in specs for i, part in enumerate(spec.parts)}
    chosen: dict[str, Any] = {}
    for key, text in items:
        if len(text) > MAX_QUERY_VALUE:
            problems.append(Problem.of("too_long", part=key))
        elif key in by_part:
            spec, index = by_part[key]
            value, problem = spec.parts[index].read(text)
            if problem is not None:
                problems.append(Problem(problem.code, (*problem.args, ("where", where))))
            if value is not None:
                pair = list(chosen.get(spec.name, spec.default))
                pair[index] = value
                chosen[spec.name] = tuple(pair)
        elif key in by_name and by_name[key].kind == "pair":
            pair = _read_pair(by_name[key], text, where, problems)
            if pair is not None:
                chosen[key] = pair
        elif key in by_name:
            value, problem = by_name[key].read(text)
            if problem is not None:
                problems.append(Problem(problem.code, (*problem.args, ("where", where))))
            if value is not None:
                chosen[key] = value
        else:
            valid = [name for spec in specs for name in spec.names()]
            problems.append(Problem.of("unknown_param", unknown=key, where=where, valid=valid or ["none"]))
    return chosen


def _read_surface(text: str | None, problems: list[Problem]) -> tuple[str, Pairs]:
    if text is None:
        return DEFAULT.surface, ()
    if len(text) > MAX_QUERY_VALUE:
        problems.append(Problem.of("too_long", part="surface"))
        return DEFAULT.surface, ()
    name, items, malformed = _split(text)
    if name == network.NAME:  # the network page's (parse_network reads it); the race's default beneath
        return DEFAULT.surface, ()
    if name not in surfaces.names():
        problems.append(Problem.of("unknown_surface", unknown=name, choices=surfaces.names(), default=DEFAULT.surface))
        return DEFAULT.surface, ()
    where = ("surface", name)
    problems.extend(Problem.of("malformed", value=piece, where=where) for piece in malformed)
    specs = surfaces.entry(name).param_specs
    chosen = _read_values(specs, items, where, problems)
    params = tuple((p.name, chosen[p.name]) for p in specs if p.name in chosen and chosen[p.name] != p.default)
    try:  # a typed formula may be refused as a whole (it says why), or a plot with no width
        surfaces.get(name, **dict(params))
    except ValueError as error:
        problems.append(Problem.of("bad_surface", surface=name, reason=refusal(error), default=DEFAULT.surface))
        return DEFAULT.surface, ()
    return name, params


def refusal(error: ValueError) -> tuple[str, int | None, tuple[tuple[str, Any], ...]] | str:
    """What a refused surface says, to be worded in the reader's language: a typed formula's
    refusal as its code, column and details; any other as its English text."""
    if isinstance(error, FormulaError):
        return error.code, error.column, tuple(error.details.items())
    return str(error)


def _read_start(
    text: str | None, surf: surfaces.Surface, default: tuple[float, float], problems: list[Problem]
) -> tuple[float, float]:
    if text is None:
        return default
    parts = text.split(",")
    coords = [read_number(p) for p in parts] if len(parts) == 2 and len(text) < 100 else [None]
    if None in coords:
        problems.append(Problem.of("bad_start", value=text))
        return default
    (x0, x1), (y0, y1) = surf.domain
    x, y = coords
    clamped = (float(min(max(x, x0), x1)), float(min(max(y, y0), y1)))
    if clamped != (x, y):
        used = ",".join(number_text(c) for c in clamped)
        problems.append(
            Problem.of("start_outside", point=f"{number_text(x)},{number_text(y)}", surface=surf.name, used=used)
        )
    return clamped


def _read_runs(
    texts: list[str] | None,
    default: tuple[Run, ...],
    surf: surfaces.Surface,
    steps: int,
    problems: list[Problem],
) -> tuple[Run, ...]:
    if texts is None:
        return tuple(_repaired(run, surf, steps, problems) for run in default)
    if texts == ["none"]:
        return ()
    if len(texts) > MAX_RUNS:
        problems.append(Problem.of("too_many_runs", count=len(texts), limit=MAX_RUNS))
        texts = texts[:MAX_RUNS]
    runs = [run for run in (_read_run(text, surf, steps, problems) for text in texts) if run is not None]
    if not runs:
        problems.append(Problem.of("no_runs"))
        return default
    return normalise_slots(runs)


def _read_run(text: str, surf: surfaces.Surface, steps: int, problems: list[Problem]) -> Run | None:
    if len(text) > MAX_QUERY_VALUE:
        problems.append(Problem.of("too_long", part="run"))
        return None
    name = text.partition(":")[0].strip()
    spec = OPTIMIZERS.get(name)
    if spec is None:
        problems.append(Problem.of("unknown_optimizer", value=text, unknown=name, choices=list(OPTIMIZERS)))
        return None
    pairs = [hp.name for hp in spec.hyperparameters if hp.kind == "pair"]
    _, items, malformed = _split(text, pairs)
    if spec.specialise is not None:  # a rule around another (SAM): its base decides its settings
        spec = spec.for_values(dict(items))
        pairs = [hp.name for hp in spec.hyperparameters if hp.kind == "pair"]
        _, items, malformed = _split(text, pairs)
    where = ("run", name)
    problems.extend(Problem.of("malformed", value=piece, where=where) for piece in malformed)
    own = (NAME, COLOUR, BATCH, SCHEDULE)
    chosen = _read_values((*spec.hyperparameters, *own), items, where, problems)
    label, colour = chosen.pop(NAME.name, ""), chosen.pop(COLOUR.name, None)
    batch = chosen.pop(BATCH.name, None)
    schedule, problem = read_schedule(chosen.pop(SCHEDULE.name, ""))
    if problem is not None:
        problems.append(Problem(problem.code, (*problem.args, ("where", where))))
    run, repairs = runnable(
        name,
        chosen,
        surf=surf,
        steps=steps,
        name=label,
        slot=None if colour is None else colour - 1,
        batch=batch,
        schedule=schedule,
    )
    problems.extend(Problem(p.code, (*p.args, ("where", where))) for p in repairs)
    return run


def _repaired(run: Run, surf: surfaces.Surface, steps: int, problems: list[Problem]) -> Run:
    """``run`` with every rule of a runnable run kept, its name and colour too."""
    fixed, repairs = runnable(
        run.optimizer,
        run.values(),
        surf=surf,
        steps=steps,
        name=run.name,
        slot=run.slot,
        batch=run.batch,
        schedule=run.schedule,
    )
    problems.extend(Problem(p.code, (*p.args, ("where", ("run", run.optimizer)))) for p in repairs)
    return fixed


@cache
def lesson_experiment(name: str) -> Experiment:
    """The experiment of the lesson ``name``, as its link in optviz/settings/lessons.toml sets it up.

    Raises KeyError for an unknown lesson and ValueError for a lesson whose link has a
    problem (the tests read every lesson's link).
    """
    experiment, problems = parse(LESSONS[name].query())
    if problems or experiment.lesson:
        msg = f"lesson {name!r}: its link has problems: {[problem_text(p) for p in problems]}"
        raise ValueError(msg)
    return experiment


def on_lesson(experiment: Experiment) -> bool:
    """Whether ``experiment`` is its lesson's as the lesson set it up (not changed since)."""
    if not experiment.lesson:
        return False
    lesson = lesson_experiment(experiment.lesson)
    return experiment.physics() == lesson.physics() and experiment.tolerance == lesson.tolerance
