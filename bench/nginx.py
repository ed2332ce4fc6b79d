"""Run examples/deploy/nginx-mikke.conf, as it is, on loopback ports in front of a `mikke serve`.

Shared by tests/test_deploy.py and bench/load.py: only the recipe's production values change (ports,
the certificate, which is self-signed and made here, the cache folder), each checked to be in the recipe.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

try:
    from bench.server import free_port
except ImportError:  # imported by a script in bench/, whose folder is on the path
    from server import free_port  # type: ignore[no-redef]

RECIPE = Path(__file__).resolve().parent.parent / "examples" / "deploy" / "nginx-mikke.conf"
PUBLIC_HOST = "search.example.jp"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
OPENSSL = shutil.which("openssl")
START_SECONDS = 20.0
MISSING = "the nginx recipe needs Debian's nginx and openssl (apt-get install nginx openssl)"


@dataclass(frozen=True)
class Nginx:
    https_port: int
    http_port: int
    cert: Path


def render(text: str, replacements: Mapping[str, str]) -> str:
    """``text`` with each of ``replacements`` made; each old value must be in it, as written."""
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"the recipe no longer holds {old!r}")
        text = text.replace(old, new)
    return text


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the public host and 127.0.0.1, valid for two days."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(OPENSSL or "openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", f"/CN={PUBLIC_HOST}"),
            *(
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ),
            *("-addext", f"subjectAltName=DNS:{PUBLIC_HOST},IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def write_config(
    folder: Path, mikke_port: int, nginx: Nginx, key: Path, extra: Mapping[str, str] | None = None
) -> Path:
    """The site recipe on loopback ports with the certificate, inside a minimal nginx.conf."""
    site = render(
        RECIPE.read_text("utf-8"),
        {
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl http2;\n": "",
            "listen 80;": f"listen 127.0.0.1:{nginx.http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{nginx.https_port} ssl http2;",
            "/etc/letsencrypt/live/search.example.jp/fullchain.pem": str(nginx.cert),
            "/etc/letsencrypt/live/search.example.jp/privkey.pem": str(key),
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{mikke_port};",
            "/var/cache/nginx/mikke": str(folder / "cache"),
            **(extra or {}),
        },
    )
    (folder / "site.conf").write_text(site, "utf-8")
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in kinds)
    # As root, nginx's workers would otherwise run as nobody, who may not enter a private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (
        f"daemon off;\n{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log {folder / 'nginx-access.log'};\n{temp}\n"
        f"    include {folder / 'site.conf'};\n}}\n"
    )
    (folder / "nginx.conf").write_text(main, "utf-8")
    return folder / "nginx.conf"


@contextlib.contextmanager
def nginx_in_front(mikke_url: str, folder: Path, extra: Mapping[str, str] | None = None) -> Iterator[Nginx]:
    """Run nginx with the recipe in front of the `mikke serve` at ``mikke_url`` until the block ends.

    :param extra: more replacements in the recipe (the load benchmark lifts the per-reader API limit).
    :raise RuntimeError: nginx or openssl is missing, the configuration is refused, or nginx does not start.
    """
    if NGINX is None or OPENSSL is None:
        raise RuntimeError(MISSING)
    cert, key = make_certificate(folder)
    nginx = Nginx(free_port(), free_port(), cert)
    config = write_config(folder, int(mikke_url.rsplit(":", 1)[1]), nginx, key, extra)
    error_log = folder / "error.log"
    command = [NGINX, "-p", str(folder), "-e", str(error_log), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused the recipe:\n{checked.stderr}")
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", nginx.https_port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = error_log.read_text("utf-8", "replace")[-3000:] if error_log.exists() else ""
                    raise RuntimeError(f"nginx did not start:\n{log}") from None
                time.sleep(0.05)
        yield nginx
    finally:
        proc.terminate()
        proc.wait(timeout=30)
