"""A Chinese page has no English on it: every word a person reads (the text on the page, a
button's tip, Plotly's own buttons, a message about a bad link or formula) is Chinese, apart
from a list of proper names and symbols.

What is not read here: code (the share link), typeset formulas, icons drawn from an icon font,
and screen-reader labels of Streamlit's own widgets (Streamlit 1.67 has no translations of its
own chrome; those words are never shown).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from optviz import OPTIMIZERS
from optviz.core.schedules import KINDS
from optviz.settings import SETTINGS
from optviz.text import LANGUAGES, catalog
from surfaces.formula.parse import FUNCTIONS
from tests.browser.pages import wait_for_app

# Names and symbols a Chinese teacher writes in Latin letters.
PROPER = {
    *("GD", "MBGD", "SGD", "AMSGrad", "Nesterov", "torch", "optim", "plotly", "tips", "iris", "optviz"),
    *("Rosenbrock", "Himmelblau", "Beale", "Rastrigin", "Booth", "Goldstein", "Price", "Styblinski", "Tang"),
    *("CSV", "GIF", "HTML", "JSON", "PNG", "Home", "End", "et", "al"),
    *LANGUAGES.values(),
}
SYMBOLS = {"pi", "inf", "NaN", "nan", "lr", *FUNCTIONS}


def allowed() -> set[str]:
    words = set(PROPER) | SYMBOLS
    words |= {part for optimizer in OPTIMIZERS.values() for part in re.findall(r"[A-Za-z]+", optimizer.title)}
    words |= {kind.name for kind in KINDS.values()}
    # A message about a link names what the link says, as it says it: its keys and optimizers.
    words |= {spec.link_key for spec in SETTINGS} | set(OPTIMIZERS) | {"steps", "start", "surface", "run"}
    words |= {
        part.name for optimizer in OPTIMIZERS.values() for hp in optimizer.hyperparameters for part in hp.parts or [hp]
    }
    for key, text in catalog("zh").items():  # a reference cites its authors and title as they wrote them
        if key.endswith(".reference"):
            words |= set(re.findall(r"[A-Za-z]+", text))
    return words


# What a person reads: visible text (not code, formulas or icons), tips of the player's buttons
# and of Plotly's, and the labels of the page's own widgets.
READ = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!el || el.closest('code, pre, script, style, .katex, [data-testid="stIconMaterial"], [data-testid="stCode"]')) continue;
        const box = el.getBoundingClientRect();
        if (box.width > 1 && box.height > 1) out.push(node.textContent);  // not a link only a keyboard reaches
    }
    for (const el of document.querySelectorAll('.ovp [title], .modebar-btn[data-title]')) {
        out.push(el.getAttribute('title') || el.getAttribute('data-title'));
    }
    return out;
}"""

PAGES = [
    "",
    "view=3d",
    "view=results",
    "view=rules",
    "view=inspect",
    "view=sweep&steps=100",
    "view=map&steps=100&map_n=10",
    "view=basins&steps=100&basin_n=20",
    "surface=tips",
    "surface=formula",
    "lesson=minibatches",
    "run=adam:lr=0.05,schedule=onecyclelr:max_lr=0.1:total_steps=600&steps=500",
    # messages: a bad value, an unknown optimizer, a formula that cannot be read
    "run=adam:lr=99&run=nosuch:lr=1&steps=abc",
    "surface=formula:f=2(x%2B1)",
]


@pytest.mark.parametrize("link", PAGES)
def test_a_chinese_page_has_no_english_word(browser: Browser, app_url: str, link: str):
    page = browser.new_page(viewport={"width": 1280, "height": 2400})
    page.goto(f"{app_url}/?v=2&lang=zh&{link}")
    wait_for_app(page)
    page.wait_for_timeout(800)  # Plotly's figures draw their toolbars
    ok = allowed()
    english = {}
    for read in page.evaluate(READ):
        text = re.sub(r"'[^']*'", "", read)  # what a person typed, quoted back to them
        for word in re.findall(r"[A-Za-z][A-Za-z_]*", text):
            if word not in ok and len(word) > 1:
                english.setdefault(word, text.strip()[:100])
    page.close()
    assert not english, english
