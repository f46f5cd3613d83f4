"""The network page's lesson, "The tutorial's test: does Adam beat SGD on a real network?": its
claims computed from the comparison the page draws (the text cannot drift from the figure).
In a file of its own: the tuned comparison of the CNN takes seconds of CPU."""

from dataclasses import replace

from optviz.settings.lessons import LESSONS
from optviz.settings.link import parse_network
from optviz.study import network as study


def check_network_test():
    """The tutorial's test, as the lesson tells it: tuned, Adam and SGD with momentum both end at
    about 98 % on the test digits, each over a range of two or three points, and the ranges
    overlap; Adam's training loss is lower; at torch's defaults plain SGD hardly learns and Adam
    is far ahead of SGD with momentum."""
    page, problems = parse_network(LESSONS["network_test"].query())
    assert not problems
    request = study.Comparison(page.data, page.model, page.width or None, page.epochs, page.batch, page.seeds)
    chosen = {c.name: c for c in request.optimizers}
    # Each optimizer's rate is chosen on its own grid and each trains alone: the optimizers the
    # claims name give the page's numbers for them, at a fraction of the eight's cost.
    momentum, adam, plain = chosen["SGD with momentum"], chosen["Adam"], chosen["SGD"]
    tuned = study.compare(replace(request, optimizers=(momentum, adam)))
    rows = tuned.table()
    for row in rows:
        assert 0.97 <= row.accuracy <= 0.99
        assert 0.01 <= row.accuracy_high - row.accuracy_low <= 0.03
    assert tuned.verdict().pairs[0, 1] == study.WITHIN
    assert rows[1].train_loss < rows[0].train_loss
    defaults = study.compare(replace(request, optimizers=(plain, momentum, adam), mode="defaults")).table()
    assert defaults[0].accuracy < 0.3
    assert defaults[2].accuracy_low > defaults[1].accuracy_high + 0.05


def test_the_network_lesson_shows_what_its_answer_says():
    check_network_test()
