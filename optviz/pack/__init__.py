"""A class pack that needs no server: every lesson, in both languages, as a page of its own.

``python -m optviz.pack DIR [LINK ...]`` writes, for every lesson of a race and every language,
the lesson's page as the page's export makes it (optviz.draw.export.race_html): one HTML file with
everything inside (the player, plotly.js, the race, the lesson's text), which asks its question
first and plays the race once the student has answered; and each LINK given (a query string,
``v=2&surface=saddle``), as its page; and ``index.html``, which lists them. Put the folder on any
static host or a USB stick: the pages fetch nothing. The network page's lesson needs the server
(it trains a network), and is named in the index as such.

May import: optviz.core, optviz.draw, optviz.settings, optviz.study, optviz.text, surfaces.
"""

from __future__ import annotations

import argparse
import html
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

from optviz.draw import figures
from optviz.draw.export import race_html
from optviz.settings import Experiment, lesson_experiment
from optviz.settings.lessons import LESSONS
from optviz.settings.link import parse
from optviz.study.results import run_experiment
from optviz.text import LANGUAGES, Words


def pages(experiment: Experiment, languages: tuple[str, ...], base_url: str = "") -> dict[str, str]:
    """One experiment's page in each of ``languages``, standalone: its race computed here once
    (the language changes its words, not its paths), its surface shaded; its link the app's full
    address where ``base_url`` names the server."""
    trajectories = run_experiment(experiment)
    shading = figures.background(experiment.build_surface())
    return {
        lang: race_html(replace(experiment, lang=lang), trajectories, shading, base_url=base_url) for lang in languages
    }


def lesson_file(name: str, lang: str) -> str:
    return f"{lang}/{name}.html"


def pack(folder: Path, links: tuple[str, ...] = (), base_url: str = "") -> list[Path]:
    """Write the pack into ``folder``; returns the files written, the index last."""
    written = []
    races = [name for name, lesson in LESSONS.items() if not lesson.network]
    for lang in LANGUAGES:
        (folder / lang).mkdir(parents=True, exist_ok=True)
    for name in races:
        made = pages(replace(lesson_experiment(name), lesson=name), LANGUAGES, base_url)  # asking first
        for lang, text in made.items():
            target = folder / lesson_file(name, lang)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    given = []
    for number, link in enumerate(links, start=1):
        experiment, _ = parse(parse_qs(link.lstrip("?")))  # read as the page reads a link, never raising
        target = folder / f"link-{number}.html"
        target.write_text(pages(experiment, (experiment.lang,), base_url)[experiment.lang], encoding="utf-8")
        written.append(target)
        given.append((target.name, link))
    index = folder / "index.html"
    index.write_text(index_page(races, given), encoding="utf-8")
    written.append(index)
    return written


def index_page(races: list[str], given: list[tuple[str, str]]) -> str:
    """The pack's first page: every lesson in each language, then the links given."""
    sections = []
    for lang in LANGUAGES:
        words = Words(lang)
        items = "".join(
            f'<li><a href="{lesson_file(name, lang)}">{html.escape(words(f"lesson.{name}.title"))}</a></li>'
            for name in races
        )
        note = html.escape(words("pack.network"))
        sections.append(
            f'<section lang="{lang}"><h2>{html.escape(words("pack.lessons"))}</h2><ol>{items}</ol><p>{note}</p></section>'
        )
    if given:
        items = "".join(f'<li><a href="{html.escape(name)}">{html.escape(link)}</a></li>' for name, link in given)
        heading = " · ".join(html.escape(Words(lang)("pack.links")) for lang in LANGUAGES)
        sections.append(f"<section><h2>{heading}</h2><ul>{items}</ul></section>")
    title = " · ".join(html.escape(Words(lang)("pack.title")) for lang in LANGUAGES)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        "<style>body{font-family:sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
        "a{color:#c0392b}@media (prefers-color-scheme: dark){body{background:#111;color:#eee}a{color:#f08070}}"
        "</style></head><body>"
        f"<h1>{title}</h1>" + "".join(sections) + "</body></html>"
    )


def main() -> None:
    """The command: ``python -m optviz.pack DIR [LINK ...] [--url ADDRESS]``."""
    parser = argparse.ArgumentParser(
        prog="python -m optviz.pack", description="Every lesson, both languages, no server."
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("links", nargs="*", help="query strings to add as pages of their own")
    parser.add_argument("--url", default="", help="the app's address, for each page's link (http://host:8501)")
    arguments = parser.parse_args()
    files = pack(arguments.folder, tuple(arguments.links), arguments.url)
    sys.stdout.write(f"{len(files)} files in {arguments.folder}: open {arguments.folder / 'index.html'}\n")
