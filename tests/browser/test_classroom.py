"""A class that answers together, in real browsers: the teacher starts it, students vote, the
teacher sees the votes arrive and shows the race to everyone; bad codes and links say so."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from optviz.classroom import DAY, Classroom, code_text
from optviz.settings.lessons import LESSONS
from optviz.text import Words
from tests.browser.pages import PLAYER, player, wait_for_app

NEWS = 15_000  # ms: a page of the class asks for news every 2 or 3 s


def main(page: Page):
    return page.get_by_test_id("stMain")


def room(class_data: Path, **kwargs) -> Classroom:
    return Classroom(class_data / "classes.sqlite3", **kwargs)


def start_class(page: Page, app_url: str, lang: str) -> tuple[str, str]:
    """The teacher opens the momentum lesson and starts a class: its code and the students' link."""
    say = Words(lang)
    page.goto(app_url + f"/?lesson=momentum&lang={lang}")
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name=say("class.start")).click()
    wait_for_app(page)
    code = main(page).get_by_test_id("stMetricValue").inner_text().strip()
    link = main(page).get_by_test_id("stCode").filter(has_text="class=").first.inner_text().strip()
    return code, link


def test_a_class_votes_and_the_teacher_shows_everyone_the_race(browser: Browser, page: Page, app_url: str):
    say = Words("en")
    choices = say.list("lesson.momentum.choices")
    right = LESSONS["momentum"].answer
    wrong = (right + 1) % len(choices)
    code, link = start_class(page, app_url, "en")
    assert len(code) == 9
    assert code[4] == "-"
    assert link.endswith(f"/?v=2&class={code}")
    query = parse_qs(urlsplit(page.url).query)
    assert query["class"] == [code.replace("-", "")]
    teacher_key = query["teacher"][0]
    assert teacher_key not in main(page).inner_text()  # the share link is the students'
    hold = page.locator(f"{PLAYER} .ovp-hold")
    expect(hold).to_have_text(say("class.held_teacher"))
    expect(main(page).get_by_text(say("class.votes", count=0))).to_be_visible()
    # Held until the teacher shows it: no explanation, no surface text, no mark on the right answer.
    explanation, description = say("lesson.momentum.explanation"), say("surface.valley.description")
    expect(page.get_by_text(explanation)).to_have_count(0)
    expect(page.get_by_text(description)).to_have_count(0)
    expect(main(page).get_by_text("✓")).to_have_count(0)

    student = browser.new_context(viewport={"width": 400, "height": 900}).new_page()
    student.goto(link)
    wait_for_app(student)
    expect(main(student).get_by_text(say("lesson.momentum.question"))).to_be_visible()
    expect(student.locator(f"{PLAYER} .ovp-hold")).to_have_text(say("class.held_student"))
    expect(main(student).get_by_text(say("class.votes", count=0))).to_have_count(0)  # no counts before the answer
    expect(student.get_by_text(explanation)).to_have_count(0)
    main(student).get_by_text(choices[wrong]).click()
    main(student).get_by_role("button", name=say("class.vote"), exact=True).click()
    wait_for_app(student)
    expect(main(student).get_by_text(say("class.voted", choice=choices[wrong]))).to_be_visible()

    # The teacher's page counts it with no click of the teacher's.
    expect(main(page).get_by_text(say("class.votes", count=1))).to_be_visible(timeout=NEWS)
    expect(main(page).get_by_text(f"{choices[wrong]}: 1 (100%)")).to_be_visible()
    # A reload is the same student: the vote stays, counted once; the seat is never handed on.
    seat = parse_qs(urlsplit(student.url).query)["seat"][0]
    student.reload()
    wait_for_app(student)
    expect(main(student).get_by_text(say("class.voted", choice=choices[wrong]))).to_be_visible()
    assert seat not in main(student).inner_text()
    main(student).get_by_text(choices[right]).click()
    main(student).get_by_role("button", name=say("class.change_vote")).click()
    wait_for_app(student)
    expect(main(page).get_by_text(f"{choices[right]}: 1 (100%)")).to_be_visible(timeout=NEWS)
    expect(main(page).get_by_text(say("class.votes", count=1))).to_be_visible()  # changed, not added

    page.get_by_role("button", name=say("class.reveal")).click()
    wait_for_app(page)
    expect(hold).to_be_hidden()
    expect(main(page).get_by_text(say("lesson.momentum.explanation"))).to_be_visible()
    expect(main(page).get_by_text(f"✓ {choices[right]}: 1 (100%)")).to_be_visible()
    # The student's page follows: its vote was right, and its race plays.
    expect(main(student).get_by_text(say("lesson.right"), exact=False)).to_be_visible(timeout=NEWS)
    wait_for_app(student)
    expect(student.locator(f"{PLAYER} .ovp-hold")).to_be_hidden()
    student.wait_for_function(f"() => document.querySelector('{PLAYER}').__player.step > 5", timeout=20_000)

    # Again, after a discussion: the answer hidden on every page, the first vote's count kept.
    page.get_by_role("button", name=say("class.again")).click()
    wait_for_app(page)
    expect(hold).to_have_text(say("class.held_teacher"))
    expect(main(page).get_by_text(say("class.before", count=1), exact=False)).to_be_visible()
    expect(main(student).get_by_role("button", name=say("class.vote"), exact=True)).to_be_visible(timeout=NEWS)
    wait_for_app(student)
    assert player(student)["step"] == 0
    student.context.close()


def test_a_student_types_the_code_in_chinese(browser: Browser, page: Page, app_url: str):
    say = Words("zh")
    code, link = start_class(page, app_url, "zh")
    assert link.endswith("&lang=zh")
    expect(main(page).get_by_text(say("class.code_is"), exact=True)).to_be_visible()
    student = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    student.goto(app_url + "/?lang=zh")
    wait_for_app(student)
    box = student.get_by_test_id("stSidebar").get_by_role("textbox", name=say("setting.class_code.title"))
    box.fill(code.lower().replace("-", " "))  # as a phone's keyboard may type it
    box.press("Enter")
    wait_for_app(student)
    expect(main(student).get_by_text(say("lesson.momentum.question"))).to_be_visible()
    expect(student.get_by_test_id("stSidebar").get_by_text(say("class.in_class_student", code=code))).to_be_visible()
    main(student).get_by_text(say.list("lesson.momentum.choices")[0]).click()
    main(student).get_by_role("button", name=say("class.vote"), exact=True).click()
    wait_for_app(student)
    expect(main(page).get_by_text(say("class.votes", count=1))).to_be_visible(timeout=NEWS)
    student.context.close()


def test_bad_codes_and_links_say_so_and_leave_the_lesson(page: Page, app_url: str, class_data: Path):
    say = Words("en")
    sidebar = page.get_by_test_id("stSidebar")
    page.goto(app_url + "/?lesson=momentum&class=K7P2")
    wait_for_app(page)
    expect(main(page).get_by_text("'K7P2' is not a class code", exact=False)).to_be_visible()
    expect(main(page).get_by_role("button", name=say("lesson.check"))).to_be_visible()  # the lesson, alone
    assert "class=" not in page.url

    box = sidebar.get_by_role("textbox", name=say("setting.class_code.title"))
    box.fill("2345-6789")
    box.press("Enter")
    wait_for_app(page)
    expect(main(page).get_by_text("No class has the code 2345-6789", exact=False)).to_be_visible()

    old = room(class_data, clock=lambda: time.time() - DAY - 60).start("zigzag", 3, client="yesterday")
    page.goto(app_url + f"/?class={old.code}&teacher={old.teacher}")
    wait_for_app(page)
    expect(main(page).get_by_text(f"Class {code_text(old.code)} has ended", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    started = room(class_data).start("zigzag", 3, client="a teacher")
    page.goto(app_url + f"/?class={started.code}&teacher=guessed")
    wait_for_app(page)
    expect(main(page).get_by_text("This is not the teacher link of this class", exact=False)).to_be_visible()
    expect(main(page).get_by_role("button", name=say("class.vote"), exact=True)).to_be_visible()  # a student
    expect(main(page).get_by_role("button", name=say("class.reveal"))).to_have_count(0)
    assert "teacher=" not in page.url
    expect(main(page).get_by_text(say("lesson.zigzag.question"))).to_be_visible()  # the class's own lesson


@pytest.mark.parametrize("width", [400, 1280])
def test_the_teacher_link_reopens_the_class(browser: Browser, app_url: str, class_data: Path, width: int):
    started = room(class_data).start("learning_rate", 3, client="a teacher")
    room(class_data).vote(started.code, voter="someone", choice=2)
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(app_url + f"/?class={started.code}&teacher={started.teacher}&lang=zh")
    wait_for_app(page)
    say = Words("zh")
    expect(main(page).get_by_text(say("class.votes", count=1))).to_be_visible()
    expect(main(page).get_by_text(say("lesson.learning_rate.question"))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.context.close()
