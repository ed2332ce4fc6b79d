"""Answers already known are not recomputed: ETags and 304s, and a per-worker cache keyed by index version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mikke.search import build_index
from mikke.web import answers
from mikke.web.params import SearchParams

from .conftest import post_source
from .test_web_support import SITE
from .test_web_support import AppFactory

# The web fixtures (make_app, client) live in one module, registered once.
pytest_plugins = ["tests.test_web_support"]

ANSWERS = ["/api/search?q=検索", "/api/results?q=検索", "/?q=検索", "/api/tags"]


@pytest.mark.parametrize("url", ANSWERS)
def test_an_answer_the_client_holds_is_confirmed_with_304_and_no_body(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=1"
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag


@pytest.mark.parametrize("url", [*ANSWERS, "/feed.atom?q=検索", "/api/suggest?q=検", "/opensearch.xml"])
def test_answers_that_may_be_gzipped_vary_on_accept_encoding_even_when_sent_plain(
    client: FlaskClient, url: str
) -> None:
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers.get("Vary", "")
    if "ETag" in plain.headers:
        confirmed = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
        assert confirmed.status_code == 304
        assert "Accept-Encoding" in confirmed.headers.get("Vary", "")


def test_other_parameters_give_another_etag(client: FlaskClient) -> None:
    tags = {client.get(url).headers["ETag"] for url in ("/api/search?q=検索", "/api/search?q=検索&page=2")}
    assert len(tags) == 2


def test_the_same_request_is_searched_once_per_index_version(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = SearchParams.run

    def counting(params: SearchParams, store):  # type: ignore[no-untyped-def]
        calls.append(params.q)
        return real(params, store)

    monkeypatch.setattr(SearchParams, "run", counting)
    client = make_app().test_client()
    bodies = [client.get("/api/search?q=検索").get_json() for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    client.get("/?q=検索")  # the page's request is the same search: its page size is the default one
    client.get("/api/search?q=図書館")
    assert calls == ["検索", "図書館"]


def test_a_new_commit_changes_every_answer_from_the_next_request(
    make_app: AppFactory, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    client = make_app(SEARCH_INDEX=str(index)).test_client()
    before = client.get("/api/search?q=流星群")
    assert before.get_json()["total"] == 0
    (site / "_posts" / "2024-06-01-meteor.md").write_text(post_source("流星群", "流星群を見た。"), "utf-8")
    build_index(site, index, jobs=1)  # an incremental commit into the same generation
    after = client.get("/api/search?q=流星群", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["total"] == 1
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_run_that_changes_only_the_owners_synonyms_changes_the_answers_from_the_next_request(
    make_app: AppFactory, site: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    (site / "_data").mkdir()
    owner = site / "_data" / "mikke_synonyms.yml"
    owner.write_text("- [カレー, スパイス料理]\n", encoding="utf-8")
    build_index(site, index, jobs=1)
    client = make_app(SEARCH_INDEX=str(index)).test_client()
    before = client.get("/api/search?q=スパイス料理")
    assert before.get_json()["total"] == 1
    owner.write_text("{}\n", encoding="utf-8")
    assert build_index(site, index, jobs=1).mode == "incremental"  # no post changed: nothing committed
    after = client.get("/api/search?q=スパイス料理", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["total"] == 0
    assert client.get("/api/search?q=スパイス料理").get_json()["total"] == 0  # not the worker's cached page


def test_an_etag_from_a_server_with_other_settings_is_not_confirmed(
    make_app: AppFactory, tmp_path: Path
) -> None:
    # A restart with statistics on: the same request under the same index is answered otherwise.
    held = make_app().test_client().get("/api/results?q=検索")
    assert held.get_json()["stats"] is False
    restarted = make_app(SEARCH_STATS_DIR=str(tmp_path / "stats")).test_client()
    again = restarted.get("/api/results?q=検索", headers={"If-None-Match": held.headers["ETag"]})
    assert again.status_code == 200
    assert again.get_json()["stats"] is True


def test_an_etag_from_a_server_running_other_code_is_not_confirmed(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new release (templates, stylesheet, code) renders the same search otherwise; a page held from the
    # old one would be kept with the new Content-Security-Policy, which allows only the new inline style.
    release = tmp_path / "release"
    shutil.copytree(Path(answers.__file__).parent, release / "web")
    monkeypatch.setattr(answers, "CODE_FOLDERS", (release / "web",))
    held = make_app().test_client().get("/?q=検索")
    (release / "web" / "static" / "style.css").write_text(".mikke { color: red; }\n", "utf-8")
    again = make_app().test_client().get("/?q=検索", headers={"If-None-Match": held.headers["ETag"]})
    assert again.status_code == 200
