"""A class opening a link at once: ``python -m benchmarks.load [--sessions 1,10,30,100] [--links same|distinct]``.

Drives N sessions over Streamlit's websocket the way the page's frontend does, with no browser:
each connects to ``/_stcore/stream``, asks for a run of the script with the link's query string
(a ``BackMsg`` with ``rerun_script``, no widget states: a first visit) and reads the server's
messages until the script has finished. All N start at the same moment, as a class does when the
teacher says "open the link". It prints, for each N:

- the time from connecting to the script finished, its median, 95th percentile and maximum;
- the server's CPU time per view (every thread of the server process, from /proc);
- the server's peak resident memory (a fresh server for each N);
- the errors: a session that failed to connect or timed out, or whose page showed an exception or
  an error (the page's guard says what went wrong in an error box, never a traceback).

The yardstick, measured in the same run and the same way: a Streamlit page with one Plotly
contour and nothing else (benchmarks/trivial_app.py). Its CPU per view is the floor a Streamlit
page pays (a session, a script run, one chart serialised); optviz's is printed as a ratio of it.
What a browser fetches besides (Streamlit's own files, plotly.js, the player's assets) is served
once per browser and cached, and is not counted here.

Bounded: at most MAX_SESSIONS sessions, each given ``--timeout`` seconds, on loopback only: the
benchmark starts its own servers on 127.0.0.1, or drives one already running at ``--url``
(replicas behind a proxy, say), which must be a loopback address.

Numbers vary with the machine and its load; compare rows measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import statistics
import threading
import time
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.page import cpu_seconds
from scripts.app_server import free_port, running_server

MAX_SESSIONS = 200
VIEWS = 20  # views measured at least, for each size: batches of N repeated until there are as many
WARM = 8  # sessions that open the page before the measured ones (a proxy spreads them over its replicas)
LINK = "v=2"  # the default page: the valley's race of five runs
YARDSTICK = "benchmarks/trivial_app.py"
# How a script run ended (streamlit/proto/ForwardMsg.proto's ScriptFinishedStatus): 0 finished,
# 1 with a compile error, 2 stopped early for a rerun (another run follows), 3 a fragment finished.
FINISHED, COMPILE_ERROR, RERUN = 0, 1, 2


@dataclass(frozen=True)
class View:
    """One session's visit: seconds from connecting to its script finished, the bytes the server
    sent it, and what went wrong."""

    seconds: float
    error: str | None = None
    received: int = 0


@dataclass(frozen=True)
class Load:
    """N sessions at once against one server: their views, the server's CPU and peak memory."""

    page: str
    sessions: int
    links: str
    views: tuple[View, ...]
    cpu_seconds: float
    peak_mb: float | None
    repeats: int = 1  # how many times the N sessions opened at once, one batch after another

    @property
    def errors(self) -> int:
        return sum(view.error is not None for view in self.views)

    def percentile(self, q: float) -> float:
        done = [view.seconds for view in self.views if view.error is None]
        return float(np.percentile(done, q)) if done else float("nan")

    @property
    def cpu_per_view(self) -> float:
        return self.cpu_seconds / len(self.views)

    @property
    def kb_per_view(self) -> float:
        return statistics.median(view.received for view in self.views) / 1024


def links(kind: str, sessions: int, link: str = LINK) -> list[str]:
    """The query strings the sessions open: the same link for all, or as many distinct ones (the
    same page from starts a thousandth apart, so that nothing one session computed serves another)."""
    if kind == "same":
        return [link] * sessions
    return [f"{link}&start={-2.5 + 0.001 * i:.3f},1" for i in range(sessions)]


async def until_finished(socket: websockets.ClientConnection, deadline: float) -> tuple[str | None, int, dict]:
    """Read the server's messages until the script run has finished: what went wrong (or None),
    the bytes received, and the widgets drawn (by their id: the element, and the fragment it is
    in, "" for none)."""
    error, received, widgets = None, 0, {}
    while True:
        data = await asyncio.wait_for(socket.recv(), deadline - time.perf_counter())
        received += len(data)
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                error = "the page showed an exception"
            elif which == "alert" and element.alert.format == Alert.ERROR:
                error = "the page showed an error"  # optviz's guard: a short message, no traceback
            elif getattr(getattr(element, which), "id", ""):
                widgets[getattr(element, which).id] = (getattr(element, which), message.delta.fragment_id)
        elif kind == "script_finished" and message.script_finished != RERUN:
            if message.script_finished == COMPILE_ERROR:
                error = "the script did not compile"
            return error, received, widgets


def rerun_message(query: str, *states: WidgetState, fragment: str = "", auto: bool = False) -> bytes:
    """A run of the page with ``query`` and the widgets' ``states``; of ``fragment`` alone, when
    the widget changed is in one (as the frontend asks), or when its timer asks (``auto``)."""
    ask = BackMsg()
    ask.rerun_script.query_string = query
    ask.rerun_script.widget_states.widgets.extend(states)
    ask.rerun_script.fragment_id = fragment
    ask.rerun_script.is_auto_rerun = auto
    return ask.SerializeToString()


async def view(stream: str, origin: str, query: str, timeout: float) -> View:
    """Open ``query`` as a new visitor's page does and wait for its script to finish."""
    start = time.perf_counter()
    try:
        async with websockets.connect(
            stream, subprotocols=["streamlit"], origin=origin, max_size=None, open_timeout=timeout
        ) as socket:
            await socket.send(rerun_message(query))
            error, received, _ = await until_finished(socket, start + timeout)
            return View(time.perf_counter() - start, error, received)
    except TimeoutError:
        return View(time.perf_counter() - start, f"no finished script within {timeout:g} s")
    except (OSError, websockets.WebSocketException) as failure:
        return View(time.perf_counter() - start, f"{type(failure).__name__}: {failure}")


async def vote(stream: str, origin: str, query: str, choice: int, timeout: float) -> View:
    """A student in a class (optviz.classroom): open the class's link ``query``, pick answer
    ``choice`` and press the vote button, as the page's frontend does: a run with the link, a run
    with the choice made (the page draws the button for it), a run with the button pressed."""
    start = time.perf_counter()
    deadline = start + timeout
    try:
        async with websockets.connect(
            stream, subprotocols=["streamlit"], origin=origin, max_size=None, open_timeout=timeout
        ) as socket:
            await socket.send(rerun_message(query))
            error, received, widgets = await until_finished(socket, deadline)
            radio, fragment = next((w for key, w in widgets.items() if "-class_choice_" in key), (None, ""))
            if error or radio is None:
                return View(time.perf_counter() - start, error or "the page asked for no vote", received)
            picked = WidgetState(id=radio.id, string_value=radio.options[choice])
            await socket.send(rerun_message(query, picked, fragment=fragment))
            error, more, widgets = await until_finished(socket, deadline)
            button, fragment = next((w for key, w in widgets.items() if key.endswith("-class_vote")), (None, ""))
            if error or button is None:
                return View(time.perf_counter() - start, error or "the page drew no vote button", received + more)
            pressed = WidgetState(id=button.id, trigger_value=True)
            await socket.send(rerun_message(query, picked, pressed, fragment=fragment))
            error, last, _ = await until_finished(socket, deadline)
            return View(time.perf_counter() - start, error, received + more + last)
    except TimeoutError:
        return View(time.perf_counter() - start, f"no vote within {timeout:g} s")
    except (OSError, websockets.WebSocketException) as failure:
        return View(time.perf_counter() - start, f"{type(failure).__name__}: {failure}")


async def _class_votes(url: str, query: str, choices: Sequence[int], timeout: float) -> list[View]:
    stream = f"ws://{urlsplit(url).netloc}/_stcore/stream"
    return list(await asyncio.gather(*(vote(stream, url, query, choice, timeout) for choice in choices)))


def voted(url: str, query: str, choices: Sequence[int], timeout: float) -> list[View]:
    """A class voting at once: one session for each of ``choices``, each voting for it from the
    class's link ``query``; on an event loop of its own, as :func:`opened`."""
    if not 1 <= len(choices) <= MAX_SESSIONS:
        msg = f"between 1 and {MAX_SESSIONS} sessions, not {len(choices)}"
        raise ValueError(msg)
    return _in_a_thread(_class_votes(loopback(url), query, choices, timeout))


async def class_opens(url: str, queries: Sequence[str], timeout: float) -> list[View]:
    """Every query opened at the same moment, each by its own session."""
    parts = urlsplit(url)
    stream = f"ws://{parts.netloc}/_stcore/stream"
    return list(await asyncio.gather(*(view(stream, url, query, timeout) for query in queries)))


def opened(url: str, queries: Sequence[str], timeout: float) -> list[View]:
    """:func:`class_opens`, run to its end on an event loop of its own, in a thread of its own:
    callable from code that already runs a loop (a test beside Playwright's)."""
    return _in_a_thread(class_opens(url, queries, timeout))


def _in_a_thread(sessions: Coroutine[None, None, list[View]]) -> list[View]:
    found: list[list[View]] = []
    worker = threading.Thread(target=lambda: found.append(asyncio.run(sessions)))
    worker.start()
    worker.join()
    if not found:
        msg = "the sessions' event loop stopped without an answer"
        raise RuntimeError(msg)
    return found[0]


def loopback(url: str) -> str:
    """``url`` if its host is a loopback address, else ValueError: the benchmark loads no one else's server."""
    host = urlsplit(url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        msg = f"{url}: the load benchmark drives loopback servers only (127.0.0.1, ::1, localhost)"
        raise ValueError(msg)
    return url.rstrip("/")


def peak_mb(pids: Sequence[int]) -> float | None:
    """The servers' peak resident memory (VmHWM), summed, in MB; None where /proc does not say
    (or no process is known: a server this benchmark did not start)."""
    if not pids:
        return None
    total = 0.0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            return None
        total += next(int(line.split()[1]) for line in lines if line.startswith("VmHWM:")) / 1024
    return total


def measure(
    url: str, pids: Sequence[int], *, page: str, queries: Sequence[str], kind: str, timeout: float, warm: bool = True
) -> Load:
    """N sessions (one per query) at once against the server(s) at ``url`` whose processes are
    ``pids``: as many batches, one after another, as make at least VIEWS views (the CPU time is
    read in ticks of 10 ms: one view alone would be measured to a sixth)."""
    if not 1 <= len(queries) <= MAX_SESSIONS:
        msg = f"between 1 and {MAX_SESSIONS} sessions, not {len(queries)}"
        raise ValueError(msg)
    url = loopback(url)
    if warm:  # the first run of a script imports its modules and fills its caches: not a class's view
        opened(url, [queries[0]] * WARM, timeout)  # (several: every replica behind a proxy)
    repeats = -(-VIEWS // len(queries))
    before = sum(cpu_seconds(pid) for pid in pids)
    views = [found for _ in range(repeats) for found in opened(url, queries, timeout)]
    spent = sum(cpu_seconds(pid) for pid in pids) - before
    return Load(page, len(queries), kind, tuple(views), spent, peak_mb(pids), repeats)


@contextlib.contextmanager
def server(script: str, *, settings: bool = True) -> Iterator[tuple[str, list[int]]]:
    """A fresh server of ``script`` on loopback, with the repository's settings or Streamlit's
    defaults: its URL and its process."""
    with running_server(script, settings=settings) as (url, process):
        yield url, [process.pid]


# The pages measured: a name, the script, whether it runs with the repository's server settings
# (.streamlit/config.toml: no full garbage collection after each run, among others) or with
# Streamlit's defaults. The yardstick runs both ways: like for like, and as a plain Streamlit page.
PAGES = (
    ("contour, defaults", YARDSTICK, False),
    ("one contour", YARDSTICK, True),
    ("optviz", "app.py", True),
)


def run(sizes: Sequence[int], kind: str, link: str, timeout: float) -> list[Load]:
    """Each size against a fresh server of each page, interleaved."""
    found = []
    for size in sizes:
        for page, script, settings in PAGES:
            queries = links(kind, size, link) if script == "app.py" else [""] * size
            with server(script, settings=settings) as (url, pids):
                found.append(measure(url, pids, page=page, queries=queries, kind=kind, timeout=timeout))
    return found


def run_replicas(sizes: Sequence[int], replicas: Sequence[int], kind: str, link: str, timeout: float) -> list[Load]:
    """Each size against fresh replicas of the app behind nginx (scripts/serve.py), for each count
    of replicas: their CPU is every replica's and nginx's."""
    from scripts.serve import serving  # noqa: PLC0415  (nginx: only this part needs it)

    found = []
    for size in sizes:
        for count in replicas:
            with serving(count, free_port()) as (url, started, proxy):
                pids = [replica.process.pid for replica in started] + [proxy.pid]
                page = f"optviz, {count} behind nginx"
                found.append(measure(url, pids, page=page, queries=links(kind, size, link), kind=kind, timeout=timeout))
    return found


def speedups(loads: Sequence[Load]) -> str:
    """How much sooner each count of replicas serves the whole class than one."""
    lines = []
    one = {load.sessions: load for load in loads if load.page == "optviz, 1 behind nginx"}
    for load in loads:
        if load.sessions in one and load is not one[load.sessions]:
            faster = one[load.sessions].percentile(100) / load.percentile(100)
            lines.append(
                f"  {load.sessions:>3} sessions: {load.page} serves the last of them {faster:.2f}x sooner than 1"
            )
    return "\n".join(lines)


def table(loads: Sequence[Load]) -> str:
    head = (
        f"{'page':<18} {'sessions':>8} {'links':>8} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'CPU/view ms':>12}"
        f" {'kB/view':>8} {'peak MB':>8} {'errors':>6}"
    )
    rows = [head]
    for load in loads:
        peak = "-" if load.peak_mb is None else f"{load.peak_mb:.0f}"  # (- : a server it did not start)
        cpu = "-" if load.peak_mb is None else f"{1000 * load.cpu_per_view:.1f}"
        rows.append(
            f"{load.page:<18} {load.sessions:>8} {load.links:>8} {load.percentile(50):>7.2f} {load.percentile(95):>7.2f}"
            f" {load.percentile(100):>7.2f} {cpu:>12} {load.kb_per_view:>8.0f} {peak:>8}"
            f" {load.errors:>6}"
        )
    return "\n".join(rows)


def ratios(loads: Sequence[Load]) -> str:
    """optviz's CPU per view over the yardstick's, like for like and against Streamlit's defaults."""
    lines = []
    same = {load.sessions: load for load in loads if load.page == "one contour"}
    plain = {load.sessions: load for load in loads if load.page == "contour, defaults"}
    for load in loads:
        if load.page == "optviz" and load.sessions in same and load.sessions in plain:
            like = load.cpu_per_view / same[load.sessions].cpu_per_view
            default = load.cpu_per_view / plain[load.sessions].cpu_per_view
            lines.append(
                f"  {load.sessions:>3} sessions: optviz's CPU per view is {like:.2f}x the one-contour page's"
                f" with the same settings, {default:.2f}x with Streamlit's defaults"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,10,30,100", help="comma-separated session counts")
    parser.add_argument("--links", choices=("same", "distinct"), default="same")
    parser.add_argument(
        "--link", default=LINK, help="the query string every session opens (its start varies with distinct)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a session may take")
    parser.add_argument("--url", help="drive a running loopback server instead (no yardstick, no CPU)")
    parser.add_argument("--replicas", help="comma-separated counts of replicas behind nginx (scripts/serve.py) instead")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sessions.split(",")]
    started = time.perf_counter()
    if args.replicas:
        loads = run_replicas(sizes, [int(k) for k in args.replicas.split(",")], args.links, args.link, args.timeout)
    elif args.url:
        loads = [
            measure(
                args.url,
                [],
                page="given",
                queries=links(args.links, size, args.link),
                kind=args.links,
                timeout=args.timeout,
            )
            for size in sizes
        ]
    else:
        loads = run(sizes, args.links, args.link, args.timeout)
    print(f"{len(sizes)} sizes, {args.links} links ({args.link}), every session at once, over the websocket:")
    print(table(loads))
    if args.replicas:
        print(speedups(loads))
    elif not args.url:
        print(ratios(loads))
    failures = [view.error for load in loads for view in load.views if view.error]
    for error in sorted(set(failures)):
        print(f"  error: {error} ({failures.count(error)} times)")
    print(f"(took {time.perf_counter() - started:.0f} s; at least {VIEWS} views a row, in batches of its sessions)")


if __name__ == "__main__":
    main()
