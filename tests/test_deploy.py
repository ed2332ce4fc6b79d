"""The production recipes in examples/deploy/ as they are: Debian's nginx with TLS in front of a real
`mikke serve`, the systemd unit through systemd-analyze, and the publish hook.

Each part is skipped, with the reason, where its tool is not installed; the README's test command
installs them all.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from bench.nginx import MISSING
from bench.nginx import NGINX
from bench.nginx import OPENSSL
from bench.nginx import PUBLIC_HOST
from bench.nginx import nginx_in_front
from bench.nginx import render
from bench.server import mikke_server
from mikke.search import open_store
from mikke.search import search
from mikke.search.store import read_current

from .test_web_support import SITE

pytest_plugins = ["tests.test_web_support"]

DEPLOY = Path(__file__).parent.parent / "examples" / "deploy"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
MIKKE = Path(sys.executable).with_name("mikke")
# Addresses of readers: nginx itself reaches mikke from 127.0.0.1, so a reader comes from elsewhere.
READER = "127.0.0.2"
FORGED = "203.0.113.9"

needs_nginx = pytest.mark.skipif(NGINX is None or OPENSSL is None, reason=MISSING)


@dataclass(frozen=True)
class Proxy:
    https_port: int
    http_port: int
    mikke_url: str
    cert: Path
    access_log: Path

    def get(
        self,
        path: str,
        *,
        host: str = PUBLIC_HOST,
        headers: dict[str, str] | None = None,
        reader: str = READER,
    ) -> tuple[int, dict[str, str], bytes]:
        context = ssl.create_default_context(cafile=str(self.cert))
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=context, timeout=10, source_address=(reader, 0)
        )
        try:
            conn.request("GET", quote(path, safe="/?=&%"), headers={"Host": host, **(headers or {})})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def proxy(web_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """nginx with the site recipe, in front of `mikke serve` configured as mikke.service configures it."""
    folder = tmp_path_factory.mktemp("nginx")
    access_log = folder / "mikke-access.log"
    env = {"MIKKE_PUBLIC_URL": f"https://{PUBLIC_HOST}", "MIKKE_PROXY_HOPS": "1"}
    with (
        mikke_server(web_index, workers=1, env=env, access_log=access_log) as url,
        nginx_in_front(url, folder) as nginx,
    ):
        yield Proxy(nginx.https_port, nginx.http_port, url, nginx.cert, access_log)


@needs_nginx
def test_the_search_page_and_the_api_answer_over_https_through_nginx(proxy: Proxy) -> None:
    status, headers, body = proxy.get("/?q=検索")
    assert status == 200 and "検索結果" in body.decode()
    assert headers["strict-transport-security"].startswith("max-age=")
    status, headers, body = proxy.get("/api/search?q=検索")
    answer = json.loads(body)
    assert status == 200 and answer["total"] > 0 and answer["hits"]


@needs_nginx
def test_opensearch_urls_name_https_and_the_public_host(proxy: Proxy) -> None:
    status, _, body = proxy.get("/opensearch.xml")
    assert status == 200
    xml = body.decode()
    urls = re.findall(r'template="([^"]+)"', xml) + re.findall(r"<moz:SearchForm>([^<]+)<", xml)
    assert len(urls) == 3 and all(url.startswith(f"https://{PUBLIC_HOST}/") for url in urls), urls


@needs_nginx
def test_mikke_sees_the_readers_address_not_nginx_nor_a_forged_header(proxy: Proxy) -> None:
    status, _, _ = proxy.get("/api/tags", headers={"X-Forwarded-For": FORGED})
    assert status == 200
    deadline = time.monotonic() + 5
    while "/api/tags" not in proxy.access_log.read_text("utf-8") and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [line for line in proxy.access_log.read_text("utf-8").splitlines() if " /api/tags " in line]
    assert lines and lines[-1].startswith(f"{READER} GET /api/tags 200 "), lines
    assert FORGED not in proxy.access_log.read_text("utf-8")


@needs_nginx
def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    conn.request("GET", "/?q=x", headers={"Host": PUBLIC_HOST})
    response = conn.getresponse()
    assert response.status == 301 and response.getheader("Location") == f"https://{PUBLIC_HOST}/?q=x"
    conn.close()


@needs_nginx
def test_hashed_static_files_are_kept_a_year_and_served_by_nginx_once_fetched(proxy: Proxy) -> None:
    _, _, page = proxy.get("/")
    match = re.search(r'src="(/static/search\.js\?v=[0-9a-f]+)"', page.decode())
    assert match, "the page links search.js by its content hash"
    statuses = []
    for _ in range(2):
        status, headers, body = proxy.get(match.group(1))
        assert status == 200 and body
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        statuses.append(headers["x-cache-status"])
    assert statuses[1] == "HIT"


@needs_nginx
def test_the_api_is_rate_limited_per_reader_and_pages_are_not(proxy: Proxy) -> None:
    answers = [proxy.get("/api/tags", reader="127.0.0.3")[0] for _ in range(40)]
    assert answers[:10] == [200] * 10  # a burst of a reader typing passes
    assert 429 in answers
    assert proxy.get("/api/tags", reader="127.0.0.4")[0] == 200  # another reader is not held back
    assert proxy.get("/?q=検索", reader="127.0.0.3")[0] == 200


@needs_nginx
def test_metrics_are_for_the_server_itself_and_unknown_hosts_are_refused(proxy: Proxy) -> None:
    assert proxy.get("/metrics")[0] == 404
    conn = http.client.HTTPConnection(*proxy.mikke_url.removeprefix("http://").split(":"), timeout=10)
    conn.request("GET", "/metrics")
    assert conn.getresponse().status == 200
    conn.close()
    assert proxy.get("/api/search?q=検索", host="evil.example")[0] == 400


@pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
def test_the_systemd_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this environment's mikke.
    unit = tmp_path / "mikke.service"
    unit.write_text(
        render((DEPLOY / "mikke.service").read_text("utf-8"), {"/srv/mikke/.venv/bin/mikke": str(MIKKE)}),
        "utf-8",
    )
    verified = subprocess.run([SYSTEMD_ANALYZE or "", "verify", str(unit)], capture_output=True, text=True)
    assert verified.returncode == 0 and not verified.stdout + verified.stderr, verified.stderr
    security = subprocess.run(
        [SYSTEMD_ANALYZE or "", "security", "--offline=yes", str(unit)], capture_output=True, text=True
    )
    if "--offline" in security.stderr:
        pytest.skip(f"this systemd-analyze cannot score a unit offline: {security.stderr.strip()}")
    exposure = re.search(r"Overall exposure level for mikke\.service: ([0-9.]+)", security.stdout)
    assert exposure, security.stdout + security.stderr
    assert float(exposure.group(1)) <= 2.0, security.stdout  # systemd rates up to 2.0 "OK", 10 "UNSAFE"


# Stand-ins for rsync and ssh: "replica" machines are folders named after them (INDEX-host, STAGING-host).
FAKE_RSYNC = """
import os, shutil, sys
source, (host, path) = sys.argv[-2].rstrip("/"), sys.argv[-1].split(":", 1)
assert sys.argv[1:-2] == ["-a", "--delete", "--exclude=/.lock"], sys.argv
target = path.rstrip("/") + "-" + host
shutil.rmtree(target, ignore_errors=True)
shutil.copytree(source, target, ignore=lambda folder, names: [".lock"] if folder == source else [])
"""
FAKE_SSH = """
import os, sys
host, command = sys.argv[1], sys.argv[2:]
local = {os.environ[name]: os.environ[name] + "-" + host for name in ("INDEX", "STAGING")}
os.execv(command[0], [local.get(arg, arg) for arg in command])
"""


@pytest.mark.skipif(shutil.which("flock") is None, reason="flock (util-linux) is not installed")
def test_the_publish_hook_indexes_once_and_ships_to_this_machine_and_each_replica(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name, code in (("rsync", FAKE_RSYNC), ("ssh", FAKE_SSH)):
        (tools / name).write_text(f"#!{sys.executable}{code}", "utf-8")
        (tools / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "SITE": str(SITE),
        "JEKYLL": "true",  # the fixture site needs no build
        "MIKKE": str(MIKKE),
        "BUILD": str(tmp_path / "build"),
        "INDEX": str(tmp_path / "index"),
        "STAGING": str(tmp_path / "incoming"),
        "REPLICAS": "one two",
    }
    done = subprocess.run(["sh", str(DEPLOY / "publish.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    built = read_current(tmp_path / "build")
    for served in (tmp_path / "index", tmp_path / "index-one", tmp_path / "index-two"):
        assert read_current(served) == built
        assert search(open_store(served), "検索", per_page=0).total > 0


@pytest.mark.parametrize("name", ["nginx-mikke.conf", "mikke.service", "publish.sh"])
def test_the_readme_shows_each_recipe_as_it_is(name: str) -> None:
    readme = (DEPLOY.parent.parent / "README.md").read_text("utf-8")
    marker = f"<!-- recipe: examples/deploy/{name} -->\n"
    assert marker in readme
    shown = readme.split(marker, 1)[1].split("\n", 1)[1]  # after the code fence's first line
    assert shown.startswith((DEPLOY / name).read_text("utf-8") + "```\n")
