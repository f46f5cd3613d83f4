"""The network page's lesson, "The tutorial's test: does Adam beat SGD on a real network?": its
claims computed from the comparison the page draws (the text cannot drift from the figure).
In a file of its own: the tuned comparison of the CNN takes half a minute of CPU."""

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
    names = [c.name for c in request.optimizers]
    adam, momentum, plain = names.index("Adam"), names.index("SGD with momentum"), names.index("SGD")
    tuned = study.compare(request)
    rows = tuned.table()
    for i in (adam, momentum):
        assert 0.97 <= rows[i].accuracy <= 0.99
        assert 0.01 <= rows[i].accuracy_high - rows[i].accuracy_low <= 0.03
    assert tuned.verdict().pairs[adam, momentum] == study.WITHIN
    assert rows[adam].train_loss < rows[momentum].train_loss
    defaults = study.compare(replace(request, mode="defaults")).table()
    assert defaults[plain].accuracy < 0.3
    assert defaults[adam].accuracy_low > defaults[momentum].accuracy_high + 0.05


def test_the_network_lesson_shows_what_its_answer_says():
    check_network_test()
