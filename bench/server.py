"""Start `mikke serve` on a loopback port and wait until it answers: shared by the tests and bench/.

bench/ scripts import this as ``server`` (their folder is on the path); the tests as ``bench.server``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path

from mikke.search import build_index

START_SECONDS = 60.0
STOP_SECONDS = 30.0
POLL_SECONDS = 0.1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:  # refused while gunicorn starts, 503 until a worker has the index open
        return False


@contextlib.contextmanager
def mikke_process(
    index: str | os.PathLike[str],
    *,
    workers: int = 1,
    port: int = 0,
    env: Mapping[str, str] | None = None,
    access_log: str | os.PathLike[str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``python -m mikke serve`` for ``index``; yield its URL and process once ``/healthz`` answers 200.

    The process is gunicorn's master: signal it to reload (SIGHUP) or stop (SIGTERM).

    :param index: the index folder (it must exist: /healthz only answers 200 with an index loaded).
    :param workers: gunicorn worker processes.
    :param port: the port to listen on; 0 picks a free one.
    :param env: ``MIKKE_*`` variables (threads, limits, allowed origins) added to this process's environment.
    :param access_log: a file for the server's access log (its standard output); dropped by default.
    :raise RuntimeError: the server exited or did not answer within a minute; the message holds its log.
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "mikke", "serve", "--index", str(index), "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    # The log goes to a file, not a pipe: nobody reads it while the server runs, and a full pipe would
    # block gunicorn mid-write.
    with tempfile.TemporaryFile() as log, contextlib.ExitStack() as files:
        out = files.enter_context(open(access_log, "ab")) if access_log else subprocess.DEVNULL
        proc = subprocess.Popen(
            [*cmd, "--workers", str(workers)],
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _answers(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode("utf-8", "replace")[-4000:]
                    raise RuntimeError(
                        f"mikke serve did not start for --index {index} (exit code {proc.poll()}):\n{tail}"
                    )
                time.sleep(POLL_SECONDS)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def mikke_server(
    index: str | os.PathLike[str],
    *,
    workers: int = 1,
    port: int = 0,
    env: Mapping[str, str] | None = None,
    access_log: str | os.PathLike[str] | None = None,
) -> Iterator[str]:
    """Run ``python -m mikke serve`` for ``index`` and yield its URL once ``/healthz`` answers 200.

    The arguments are those of :func:`mikke_process`.
    """
    with mikke_process(index, workers=workers, port=port, env=env, access_log=access_log) as (url, _):
        yield url


def warm_up(url: str, workers: int, threads: int) -> None:
    """Give every worker thread a page and an API search first: a server in use is warm."""
    for _ in range(workers * threads * 2):
        for path in ("/?q=", "/api/search?q=", "/api/results?q="):
            with urllib.request.urlopen(url + path + urllib.parse.quote("検索")) as response:
                response.read()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def load(
    url: str, queries: list[str], requests: int, concurrency: int, endpoint: str = "/api/search"
) -> tuple[list[float], float]:
    """Send ``requests`` searches to ``endpoint`` over ``concurrency`` keep-alive connections; ms each."""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    paths = [endpoint + "?" + urllib.parse.urlencode({"q": q, "page": p}) for p in (1, 2) for q in queries]
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        for n in counter:
            started = time.perf_counter()
            conn.request("GET", paths[n % len(paths)])
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{endpoint} answered {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    elapsed = run_clients(client, concurrency)
    return latencies, len(latencies) / elapsed


def run_clients(client: Callable[[], None], count: int) -> float:
    """Run ``count`` threads of ``client`` at once; return the seconds until the last one ends."""
    threads = [threading.Thread(target=client) for _ in range(count)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def built_index(corpus: Path, index: Path | None, scratch: Path) -> Path:
    """``index`` when the caller names one, else a full build of ``corpus`` under ``scratch``."""
    if index is not None:
        return index
    build_index(corpus, scratch / "index", full=True)
    return scratch / "index"
