"""Addresses come from configuration, not from requests: unknown hosts get 400, URLs use MIKKE_PUBLIC_URL."""

from __future__ import annotations

import pytest

from mikke.search import SettingError

from .test_web_support import AppFactory
from .test_web_support import assert_error_shape

pytest_plugins = ["tests.test_web_support"]


def test_a_request_for_a_host_mikke_was_not_told_about_is_refused(make_app: AppFactory) -> None:
    client = make_app().test_client()
    assert_error_shape(client.get("/api/search?q=検索", headers={"Host": "evil.example"}), 400)
    page = client.get("/opensearch.xml", headers={"Host": "evil.example"})
    assert page.status_code == 400 and b"evil.example" not in page.data
    assert client.get("/api/search?q=検索", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_opensearch_urls_are_built_on_the_public_url(make_app: AppFactory) -> None:
    client = make_app(SEARCH_PUBLIC_URL="https://search.example.jp/").test_client()
    xml = client.get("/opensearch.xml", headers={"Host": "search.example.jp"}).get_data(as_text=True)
    assert 'template="https://search.example.jp/?q={searchTerms}"' in xml
    local = client.get("/opensearch.xml").get_data(as_text=True)  # asked on localhost: still the public URL
    assert "http://localhost" not in local and "https://search.example.jp/opensearch.xml" in local


def test_without_a_public_url_an_allowed_host_is_used_as_asked(make_app: AppFactory) -> None:
    xml = make_app().test_client().get("/opensearch.xml").get_data(as_text=True)
    assert 'template="http://localhost/?q={searchTerms}"' in xml


def test_forwarded_headers_count_only_from_trusted_proxies(make_app: AppFactory) -> None:
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "search.example.jp",
        "X-Forwarded-For": "1.2.3.4",
    }
    plain = make_app(SEARCH_ALLOWED_HOSTS="localhost,search.example.jp").test_client()
    assert "http://localhost/" in plain.get("/opensearch.xml", headers=forwarded).get_data(as_text=True)
    proxied = make_app(SEARCH_ALLOWED_HOSTS="localhost,search.example.jp", SEARCH_PROXY_HOPS=1).test_client()
    xml = proxied.get("/opensearch.xml", headers=forwarded).get_data(as_text=True)
    assert 'template="https://search.example.jp/?q={searchTerms}"' in xml


@pytest.mark.parametrize("url", ["search.example.jp", "ftp://search.example.jp", "https://"])
def test_a_public_url_that_is_not_an_http_address_is_refused_at_start(make_app: AppFactory, url: str) -> None:
    with pytest.raises(SettingError, match="MIKKE_PUBLIC_URL"):
        make_app(SEARCH_PUBLIC_URL=url)


def test_pictures_may_come_from_https_hosts_and_from_a_site_tried_locally_over_http(
    make_app: AppFactory,
) -> None:
    def image_sources(**config: str) -> list[str]:
        policy = make_app(**config).test_client().get("/").headers["Content-Security-Policy"]
        (img,) = [d.split()[1:] for d in policy.split(";") if d.split()[:1] == ["img-src"]]
        return img

    assert image_sources() == ["'self'", "data:", "https:"]
    assert image_sources(SEARCH_SITE_URL="http://127.0.0.1:4000/") == [
        "'self'",
        "data:",
        "https:",
        "http://127.0.0.1:4000",
    ]
