"""A lecture hall: N replicas of the app behind nginx on one port. ``scripts/serve --replicas N --port P``

Streamlit keeps each visitor's session in the process that opened it, and one process runs one
script at a time (Python's lock), so more cores need more processes. This starts N replicas of
the app, each ``streamlit run app.py`` on a free loopback port, and Debian's nginx in front of
them on port P (loopback by default; ``--address 0.0.0.0`` for the classroom):

- sticky sessions: nginx gives a browser a random cookie on its first request and sends all its
  requests by that cookie to one replica (its websocket, its downloads, a reconnection), by a
  consistent hash: a replica that stops moves only its own visitors. No cookie is personal: it
  is a random number that lives as long as the browser session;
- the websocket at /_stcore/stream passed through, kept open for a day;
- /_stcore/metrics answered 404 (it tells anyone the sessions, connections and caches);
- health: nginx takes a replica out for 10 s after it fails to answer; this script asks every
  replica's /_stcore/health every few seconds and starts again one that has stopped;
- the replicas share one cookie secret (Streamlit's XSRF cookie) made for this run, and one
  folder for the classes that vote together (optviz.classroom's SQLite file: ``--data``, by
  default $OPTVIZ_DATA or ~/.local/share/optviz).

Ctrl+C or SIGTERM stops nginx and every replica. nginx's files (its configuration, its logs)
and the replicas' logs go to a temporary folder named on start (``--logs`` keeps them).
Each answer carries ``X-Replica: <k>`` (1 to N), which replica served it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from optviz.classroom import data_path
from scripts.app_server import ROOT, free_port, healthy, wait_healthy

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MAX_REPLICAS = 16
HEALTH_EVERY = 3.0  # seconds between two rounds of health checks
START_TIMEOUT = 90.0  # seconds a replica may take to answer its health check

CONFIG = """\
# Written by scripts/serve.py for this run: {replicas} replicas behind one port.
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    # The path only, never the query: a teacher link's key must not stay in a log.
    log_format optviz '$remote_addr [$time_local] "$request_method $uri" $status $body_bytes_sent';
    access_log {folder}/nginx-access.log optviz;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    # A browser's replica: by its cookie, or for a first request a random one, given to it below.
    map $cookie_optviz_replica $optviz_key {{
        "" $request_id;
        default $cookie_optviz_replica;
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" close;
    }}
    map $upstream_addr $replica {{
        default "";
{numbers}
    }}
    upstream optviz {{
        hash $optviz_key consistent;
{servers}
    }}
    server {{
        listen {address}:{port};
        client_max_body_size 1m;
        location = /_stcore/metrics {{ return 404; }}
        location / {{
            proxy_pass http://optviz;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP $remote_addr;  # the classes' limits count by it (ui.classroom)
            proxy_read_timeout 86400s;
            proxy_send_timeout 86400s;
            proxy_buffering off;
            add_header Set-Cookie "optviz_replica=$optviz_key; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Replica $replica always;
        }}
    }}
}}
"""


def nginx_config(folder: Path, address: str, port: int, ports: list[int]) -> str:
    """nginx's configuration for replicas on ``ports`` (loopback), served on ``address:port``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    numbers = "\n".join(f'        "127.0.0.1:{p}" "{k}";' for k, p in enumerate(ports, start=1))
    return CONFIG.format(
        replicas=len(ports), folder=folder, address=address, port=port, servers=servers, numbers=numbers
    )


class Replica:
    """One ``streamlit run app.py`` on a loopback port, its output in ``log``."""

    def __init__(self, number: int, port: int, secret: str, folder: Path, script: str, *, data: Path) -> None:
        self.number, self.port, self.secret, self.script, self.data = number, port, secret, script, data
        self.log = folder / f"replica-{number}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / self.script),
            "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        ]  # fmt: skip
        environment = {  # not command-line flags
            **os.environ,
            "STREAMLIT_SERVER_COOKIE_SECRET": self.secret,
            "OPTVIZ_DATA": str(self.data),
        }
        with self.log.open("a") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)

    def healthy(self) -> bool:
        return healthy(f"http://127.0.0.1:{self.port}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def all_healthy(replicas: list[Replica], timeout: float = START_TIMEOUT) -> None:
    """Until every replica answers its health check; RuntimeError with its log if one never does."""
    for replica in replicas:
        if not wait_healthy(f"http://127.0.0.1:{replica.port}", replica.process, timeout):
            msg = f"replica {replica.number} did not start:\n{replica.log.read_text()[-2000:]}"
            raise RuntimeError(msg)


@contextlib.contextmanager
def serving(
    replicas: int,
    port: int,
    address: str = "127.0.0.1",
    logs: Path | None = None,
    script: str = "app.py",
    *,
    data: Path | None = None,
) -> Iterator[tuple[str, list[Replica], subprocess.Popen]]:
    """N replicas behind nginx on ``address:port``, sharing the classes' folder ``data`` (by
    default optviz.classroom's): yields the URL, the replicas and nginx once all answer; stops
    them all whatever happens."""
    if not 1 <= replicas <= MAX_REPLICAS:
        msg = f"between 1 and {MAX_REPLICAS} replicas, not {replicas}"
        raise ValueError(msg)
    if not Path(NGINX).exists():
        msg = "nginx is needed: apt-get install nginx (Debian's package)"
        raise RuntimeError(msg)
    with contextlib.ExitStack() as stack:
        folder = logs or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="optviz-serve-")))
        folder.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_hex(32)
        ports = [free_port() for _ in range(replicas)]
        data = data or data_path().parent
        started = [Replica(k, p, secret, folder, script, data=data) for k, p in enumerate(ports, start=1)]
        for replica in started:
            stack.callback(replica.stop)
            replica.start()
        all_healthy(started)
        config = folder / "nginx.conf"
        config.write_text(nginx_config(folder, address, port, ports))
        with (folder / "nginx.out").open("w") as output:
            proxy = subprocess.Popen(
                [NGINX, "-c", str(config), "-p", str(folder)], stdout=output, stderr=subprocess.STDOUT
            )
        stack.callback(_stop_nginx, proxy)
        url = f"http://{'127.0.0.1' if address == '0.0.0.0' else address}:{port}"  # (listening on every address)
        if not wait_healthy(url, proxy, 15):
            msg = f"nginx did not start:\n{(folder / 'nginx-error.log').read_text()[-2000:]}"
            raise RuntimeError(msg)
        yield url, started, proxy


def _stop_nginx(proxy: subprocess.Popen) -> None:
    proxy.send_signal(signal.SIGQUIT)  # finish what is under way, then stop
    try:
        proxy.wait(10)
    except subprocess.TimeoutExpired:
        proxy.kill()
        proxy.wait(10)


def keep_healthy(replicas: list[Replica], proxy: subprocess.Popen, stop: list[bool]) -> None:
    """Every HEALTH_EVERY seconds: a replica that has stopped is started again; returns when asked
    to stop or when nginx itself has stopped."""
    while not stop[0] and proxy.poll() is None:
        for replica in replicas:
            if not replica.running():
                print(f"replica {replica.number} stopped: starting it again (its log: {replica.log})", flush=True)
                replica.start()
        time.sleep(HEALTH_EVERY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help=f"how many app processes (1 to {MAX_REPLICAS})")
    parser.add_argument("--port", type=int, default=8501, help="the one port visitors open")
    parser.add_argument("--address", default="127.0.0.1", help="where to listen: 0.0.0.0 for the classroom")
    parser.add_argument("--logs", type=Path, help="a folder to keep nginx's and the replicas' files in")
    parser.add_argument(
        "--data", type=Path, help=f"the folder of the classes' votes, shared by the replicas ({data_path().parent})"
    )
    args = parser.parse_args()
    stop = [False]

    def stopping(*_: object) -> None:
        stop[0] = True

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    with serving(args.replicas, args.port, args.address, args.logs, data=args.data) as (url, replicas, proxy):
        print(f"optviz: {len(replicas)} replicas behind nginx at {url} (Ctrl+C stops them all)", flush=True)
        print(f"optviz: the classes' votes are kept in {replicas[0].data}", flush=True)
        keep_healthy(replicas, proxy, stop)
    print("optviz: stopped", flush=True)


if __name__ == "__main__":
    main()
