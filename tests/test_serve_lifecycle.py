"""Zero-downtime operation of `mikke serve`: a reload (SIGHUP) and a restarted worker fail no request, and
a stop (SIGTERM) lets the request in flight finish."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.server import free_port
from bench.server import mikke_process

pytest_plugins = ["tests.test_web_support"]

WORKERS = 2
CLIENTS = 4
QUERIES = ("検索", "全文検索", "形態素解析", "日本語")
SWITCH_SECONDS = 30.0  # bound on a reload or a worker restart; they take a second or two


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers, for its master)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name (in parentheses) may hold spaces; the parent pid is the second field after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry))
    return found


def wait_for_new_workers(master: int, old: set[int]) -> set[int]:
    """Wait until ``master`` runs WORKERS workers, none of them in ``old``, and return them."""
    deadline = time.monotonic() + SWITCH_SECONDS
    while time.monotonic() < deadline:
        now = children(master)
        if len(now) == WORKERS and not now & old:
            return now
        time.sleep(0.05)
    raise AssertionError(f"the workers were not replaced within {SWITCH_SECONDS} s: {children(master)}")


class ClientLoop:
    """Clients searching as fast as they can, each over a kept-alive connection, counting what fails."""

    def __init__(self, url: str) -> None:
        self.host, port = urllib.parse.urlsplit(url).netloc.split(":")
        self.port = int(port)
        self.stop = threading.Event()
        self.answers = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(CLIENTS)]

    def run(self, n: int) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        i = n
        while not self.stop.is_set():
            query = urllib.parse.quote(QUERIES[i % len(QUERIES)])
            i += 1
            try:
                conn.request("GET", f"/api/search?q={query}")
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and json.loads(body)["total"] > 0
                error = "" if ok else f"status {response.status}: {body[:200]!r}"
                if response.will_close:
                    conn.close()  # the next request opens a new connection, as any HTTP client would
            except (OSError, http.client.HTTPException) as e:
                error = repr(e)
                conn.close()
            with self.lock:
                if error:
                    self.errors.append(error)
                else:
                    self.answers += 1
        conn.close()

    def __enter__(self) -> ClientLoop:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def test_a_reload_and_a_restarted_worker_fail_no_request(web_index: Path) -> None:
    with mikke_process(web_index, workers=WORKERS) as (url, proc):
        master = proc.pid
        with ClientLoop(url) as clients:
            time.sleep(0.3)
            first = children(master)
            os.kill(master, signal.SIGHUP)  # systemctl reload
            second = wait_for_new_workers(master, first)
            time.sleep(0.3)
            before_restart = clients.answers
            os.kill(
                min(second), signal.SIGTERM
            )  # one worker ends (as after max_requests); gunicorn replaces it
            deadline = time.monotonic() + SWITCH_SECONDS
            while min(second) in children(master) or len(children(master)) != WORKERS:
                assert time.monotonic() < deadline, "the stopped worker was not replaced"
                time.sleep(0.05)
            time.sleep(0.3)
        assert proc.poll() is None
        assert not clients.errors, clients.errors[:5]
        assert clients.answers > before_restart > 0
        # Every answer is counted once in /metrics, whichever worker gave it, the replaced ones included.
        with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
            metrics = response.read().decode()
        counted = re.search(
            r'mikke_http_requests_total\{endpoint="api.search_view",status="200"\} (\S+)', metrics
        )
        assert counted and float(counted.group(1)) == clients.answers, metrics


def test_a_stop_lets_the_request_in_flight_finish(web_index: Path) -> None:
    with mikke_process(web_index, workers=1) as (url, proc):
        host, port = urllib.parse.urlsplit(url).netloc.split(":")
        query = urllib.parse.quote("検索")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            # The request has begun arriving when the stop comes: a worker thread is reading it.
            conn.sendall(f"GET /api/search?q={query} HTTP/1.1\r\nHost: {host}\r\n".encode())
            time.sleep(0.3)
            os.kill(proc.pid, signal.SIGTERM)  # systemctl stop
            time.sleep(0.5)
            conn.sendall(b"Connection: close\r\n\r\n")
            response = b""
            while chunk := conn.recv(65536):
                response += chunk
        assert response.startswith(b"HTTP/1.1 200 "), response[:200]
        assert json.loads(response.split(b"\r\n\r\n", 1)[1])["total"] > 0
        assert proc.wait(timeout=SWITCH_SECONDS) == 0


def test_the_master_tells_systemd_it_is_ready(web_index: Path, tmp_path: Path) -> None:
    """mikke.service has Type=notify: systemd counts the service started when gunicorn says READY=1."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(tmp_path / "notify"))
        notify.settimeout(SWITCH_SECONDS)
        with mikke_process(web_index, workers=1, env={"NOTIFY_SOCKET": str(tmp_path / "notify")}):
            assert b"READY=1" in notify.recv(4096).split(b"\n")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MIKKE_PUBLIC_URL", "abc", "MIKKE_PUBLIC_URL must be like https://search.example.jp, not 'abc'."),
        (
            "MIKKE_PUBLIC_URL",
            "ftp://x",
            "MIKKE_PUBLIC_URL must be like https://search.example.jp, not 'ftp://x'.",
        ),
        (
            "MIKKE_PUBLIC_URL",
            "https://",
            "MIKKE_PUBLIC_URL must be like https://search.example.jp, not 'https://'.",
        ),
        (
            "MIKKE_ALLOWED_HOSTS",
            "\u00ad",
            "MIKKE_ALLOWED_HOSTS: '\\xad' is not a host name",
        ),
        (
            "MIKKE_ALLOWED_ORIGINS",
            "https://blog.example.jp/blog/",
            "MIKKE_ALLOWED_ORIGINS: 'https://blog.example.jp/blog/' is not an origin",
        ),
        (
            "MIKKE_STATS_DIR",
            "{index}/stats",
            "MIKKE_STATS_DIR ({index}/stats) must not be inside the index folder",
        ),
        (
            "MIKKE_STATS_DIR",
            "/dev/null/stats",
            "MIKKE_STATS_DIR (/dev/null/stats) cannot hold the search statistics: /dev/null is not a folder.",
        ),
    ],
)
def test_a_setting_the_app_refuses_stops_serve_with_one_line_before_any_worker_starts(
    web_index: Path, name: str, value: str, message: str
) -> None:
    index = str(web_index.resolve())
    serve = [sys.executable, "-m", "mikke", "serve", "--index", index, "--port", str(free_port())]
    env = {**os.environ, name: value.format(index=index)}
    done = subprocess.run([*serve, "--workers", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: " + message.format(index=index))
    assert len(done.stderr.splitlines()) == 1, done.stderr  # no worker booted, so none failed to


def test_a_port_another_program_listens_on_stops_serve_with_one_line(web_index: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serve = [sys.executable, "-m", "mikke", "serve", "--index", str(web_index), "--port", str(port)]
        done = subprocess.run([*serve, "--workers", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: Cannot listen on 127.0.0.1:{port}: another program listens there")
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_a_host_that_names_no_address_stops_serve_with_one_line(web_index: Path) -> None:
    port = free_port()
    serve = [sys.executable, "-m", "mikke", "serve", "--index", str(web_index), "--port", str(port)]
    done = subprocess.run(
        [*serve, "--workers", "1", "--host", "nowhere.invalid"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: Cannot listen on nowhere.invalid:{port}: MIKKE_HOST (--host)")
    assert len(done.stderr.splitlines()) == 1, done.stderr
