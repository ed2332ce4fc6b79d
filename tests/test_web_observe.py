"""What the server tells its operator: /metrics in Prometheus' format and one access-log line per request."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from mikke.search import open_store
from mikke.search import search

from .test_web_support import AppFactory

pytest_plugins = ["tests.test_web_support"]


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, keyed by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_seen(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], endpoint: str, status: str
) -> float:
    return samples.get(("mikke_http_requests_total", (("endpoint", endpoint), ("status", status))), 0.0)


def test_metrics_count_requests_by_endpoint_and_status_and_time_them(make_app: AppFactory) -> None:
    client = make_app().test_client()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/api/search?q=検索").status_code == 200
    assert client.get("/api/search?sort=best").status_code == 400
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    after = scrape(client)

    def grew(endpoint: str, status: str) -> float:
        return requests_seen(after, endpoint, status) - requests_seen(before, endpoint, status)

    assert grew("api.search_view", "200") == 3
    assert grew("api.search_view", "400") == 1
    assert grew("other", "404") == 1
    assert grew("other", "400") == 1  # a refused host is counted too, under no endpoint
    timed = ("mikke_http_request_duration_seconds_count", (("endpoint", "api.search_view"),))
    assert after[timed] - before.get(timed, 0.0) == 4
    slowest = (
        "mikke_http_request_duration_seconds_bucket",
        (("endpoint", "api.search_view"), ("le", "+Inf")),
    )
    assert after[slowest] == after[timed]


def test_metrics_describe_the_index_being_served(make_app: AppFactory, web_index: object) -> None:
    samples = scrape(make_app().test_client())
    store = open_store(str(web_index))
    assert samples[("mikke_index_loaded", ())] == 1
    assert samples[("mikke_index_info", (("generation", store.generation or ""),))] == 1
    assert samples[("mikke_index_posts", ())] == search(store, "", per_page=0).total > 0
    assert 0 <= samples[("mikke_index_age_seconds", ())] < 24 * 3600


def test_metrics_say_when_no_index_is_loaded(make_app: AppFactory, tmp_path: object) -> None:
    samples = scrape(make_app(SEARCH_INDEX=str(tmp_path)).test_client())
    assert samples[("mikke_index_loaded", ())] == 0
    assert not any(name == "mikke_index_posts" for name, _ in samples)


def test_metrics_can_be_turned_off(make_app: AppFactory) -> None:
    client = make_app(SEARCH_METRICS="false").test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/api/search?q=検索").status_code == 200


def test_each_request_logs_one_line_without_its_query(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_app().test_client()
    with caplog.at_level(logging.INFO, logger="mikke.access"):
        client.get("/api/search?q=秘密の検索語", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        client.get("/%0Afake%20line?q=x")
    lines = [r.getMessage() for r in caplog.records if r.name == "mikke.access"]
    assert len(lines) == 2
    address, method, path, status, duration = lines[0].split(" ")
    assert (address, method, path, status) == ("192.0.2.7", "GET", "/api/search", "200")
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
    assert "秘密" not in lines[0] and "q=" not in lines[0]
    assert "\n" not in lines[1] and lines[1].split(" ")[2] == "/%0Afake%20line"
