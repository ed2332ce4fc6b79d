"""The installed names: one distinct top-level package, `mikke`, from the `search/` and `web/` folders."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_distribution_installs_only_the_mikke_package() -> None:
    provided = {
        name for name, dists in importlib.metadata.packages_distributions().items() if "mikke" in dists
    }
    assert provided == {"mikke"}


def test_generic_names_search_and_web_are_not_importable_outside_the_checkout(tmp_path: Path) -> None:
    for name in ("search", "web"):
        result = run_python("-c", f"import {name}", cwd=tmp_path)
        assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr, name


def test_python_dash_m_mikke_runs_the_command_line(tmp_path: Path) -> None:
    for module in ("mikke", "mikke.search"):
        result = run_python("-m", module, "--help", cwd=tmp_path)
        assert result.returncode == 0 and "Usage:" in result.stdout and "search" in result.stdout, module


def test_wheel_holds_the_two_folders_under_mikke_with_the_web_assets(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("mikke-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"mikke"}
    for needed in (
        "mikke/__init__.py",
        "mikke/py.typed",
        "mikke/search/cli.py",
        "mikke/web/__init__.py",
        "mikke/web/templates/search.html",
        "mikke/web/static/search.js",
    ):
        assert needed in names, needed
    # Every module of the two folders ships (a file added to search/ or web/ needs no packaging change).
    for folder in ("search", "web"):
        for source in (ROOT / folder).glob("*.py"):
            assert f"mikke/{folder}/{source.name}" in names, source
