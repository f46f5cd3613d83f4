"""A lesson in a real browser: the race waits for the answer, then plays; in both languages."""

import pytest
from playwright.sync_api import Page, expect

from optviz.settings.lessons import LESSONS
from optviz.text import Words
from tests.browser.pages import PLAYER, player, wait_for_app


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_student_answers_and_the_race_plays(page: Page, app_url: str, console_errors: list[str], lang: str):
    say = Words(lang)
    page.goto(app_url + f"/?lesson=momentum&lang={lang}")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(say("lesson.momentum.question"))).to_be_visible()
    # Held: the message over the plot, the controls off, the runs at their start.
    hold = page.locator(f"{PLAYER} .ovp-hold")
    expect(hold).to_be_visible()
    expect(hold).to_have_text(say("lesson.hold"))
    expect(page.locator(PLAYER).get_by_role("button", name=say("player.play"))).to_be_disabled()
    page.locator(PLAYER).focus()
    page.keyboard.press("End")  # the keys are held too
    assert player(page)["step"] == 0
    check = main.get_by_role("button", name=say("lesson.check"))
    expect(check).to_be_disabled()  # nothing chosen yet

    right = say.list("lesson.momentum.choices")[LESSONS["momentum"].answer]
    main.get_by_text(right).click()
    check.click()
    wait_for_app(page)
    expect(main.get_by_text(say("lesson.right"))).to_be_visible()
    expect(main.get_by_text(say("lesson.momentum.explanation"))).to_be_visible()
    expect(hold).to_be_hidden()
    expect(page.locator(PLAYER).get_by_role("button", name=say("player.play"))).to_be_enabled()
    # Released, it plays from the start on its own.
    page.wait_for_function(f"() => document.querySelector('{PLAYER}').__player.step > 5", timeout=20_000)
    assert player(page)["playing"]
