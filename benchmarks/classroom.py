"""A class that votes together: ``python -m benchmarks.classroom [--sessions 30,100] [--polls 20]``.

Starts the app on loopback with a class folder of its own, starts a class for a lesson in its
file, and measures over the websocket, as the page's frontend does (benchmarks.load):

- N students voting at once (open the class's link, pick an answer, press the button): time to
  the vote counted, the server's CPU per student (three script runs each), errors; and that the
  teacher's count is N;
- what waiting costs: each page of a class asks the store for news every few seconds (a run of a
  small fragment, not of the page: ui.classroom.POLL_SECONDS). One session asks ``--polls``
  times in a row, as its timer would; the CPU per ask, and what a class of N asking at its pace
  takes of one core;
- in the same run, a whole page of the lesson opened alone (its CPU per view), the yardstick.

Numbers vary with the machine and its load; compare the rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import websockets

from benchmarks import load
from benchmarks.page import cpu_seconds
from optviz.classroom import Classroom
from scripts.app_server import running_server
from ui.classroom import POLL_SECONDS


async def _asks(url: str, query: str, polls: int, timeout: float) -> tuple[int, float]:
    """One student's page: opened, then its fragment's reruns ``polls`` times, one after the
    other; returns how many finished and the seconds they took."""
    stream = f"ws://{urlsplit(url).netloc}/_stcore/stream"
    async with websockets.connect(stream, subprotocols=["streamlit"], origin=url, max_size=None) as socket:
        fragment = None
        await socket.send(load.rerun_message(query))
        deadline = time.perf_counter() + timeout
        while fragment is None:
            message = load.ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(socket.recv(), deadline - time.perf_counter()))
            if message.WhichOneof("type") == "auto_rerun":
                fragment = message.auto_rerun.fragment_id
        await load.until_finished(socket, deadline)
        done, start = 0, time.perf_counter()
        for _ in range(polls):
            await socket.send(load.rerun_message(query, fragment=fragment, auto=True))  # as its timer asks
            error, _, _ = await load.until_finished(socket, deadline)
            done += error is None
        return done, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="30,100", help="comma-separated sizes of the class")
    parser.add_argument("--polls", type=int, default=40, help="how many times one page asks for news")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sessions.split(",")]
    with tempfile.TemporaryDirectory() as folder, running_server(data=Path(folder)) as (url, server):
        room = Classroom(Path(folder) / "classes.sqlite3")
        load.opened(url, ["v=2&lesson=momentum"] * load.WARM, args.timeout)  # imports, caches
        before = cpu_seconds(server.pid)
        views = load.opened(url, ["v=2&lesson=momentum"] * 10, args.timeout)
        page_ms = 1000 * (cpu_seconds(server.pid) - before) / len(views)
        print(f"the lesson's page alone: {page_ms:.1f} ms of server CPU a view")
        print(f"{'students':>8} {'p50 s':>7} {'max s':>7} {'CPU/student ms':>15} {'counted':>8} {'errors':>6}")
        for size in sizes:
            started = room.start("momentum", 3, client=f"benchmark {size}")
            query = f"v=2&class={started.code}"
            before = cpu_seconds(server.pid)
            votes = load.voted(url, query, [k % 3 for k in range(size)], args.timeout)
            spent = cpu_seconds(server.pid) - before
            done = sorted(view.seconds for view in votes if view.error is None)
            counted = room.find(started.code, client="benchmark").votes
            p50 = done[len(done) // 2] if done else float("nan")
            print(
                f"{size:>8} {p50:>7.2f} {max(done, default=float('nan')):>7.2f} {1000 * spent / size:>15.1f}"
                f" {counted:>8} {sum(view.error is not None for view in votes):>6}"
            )
        started = room.start("momentum", 3, client="benchmark polls")
        query = f"v=2&class={started.code}"
        before = cpu_seconds(server.pid)
        done, seconds = asyncio.run(_asks(url, query, args.polls, args.timeout))
        opened = cpu_seconds(server.pid) - before
        per_ask = (opened - page_ms / 1000) / max(done, 1)  # less the page's own first run
        every = POLL_SECONDS["student"]
        print(
            f"a student's page asking for news: {1000 * per_ask:.1f} ms of server CPU an ask"
            f" ({done} of {args.polls} answered, {1000 * seconds / max(done, 1):.1f} ms each)"
        )
        for size in sizes:
            print(f"  {size} students asking every {every:g} s: {100 * size * per_ask / every:.0f}% of one core")


if __name__ == "__main__":
    main()
