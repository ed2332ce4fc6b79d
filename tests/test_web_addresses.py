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


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("localhost,127.0.0.1,::1", "[::1]:8000"),  # the default, as `mikke serve --host ::1` is asked
        ("localhost,127.0.0.1,::1", "[::1]"),
        ("[2001:db8::1]", "[2001:DB8:0:0::1]:8000"),
        (".example.jp", "search.example.jp"),
        (".example.jp", "example.jp:8000"),
        ("検索.example.jp", "xn--f4v204b.example.jp"),
    ],
)
def test_an_allowed_host_is_answered_whatever_form_the_request_writes_it_in(
    make_app: AppFactory, allowed: str, host: str
) -> None:
    client = make_app(SEARCH_ALLOWED_HOSTS=allowed).test_client()
    assert client.get("/api/search?q=検索", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["[::2]:8000", "[::]", "[", "example.jp.evil.example", "evil.example:8000"])
def test_hosts_near_an_allowed_one_are_still_refused(make_app: AppFactory, host: str) -> None:
    client = make_app(SEARCH_ALLOWED_HOSTS="localhost,::1,.example.jp").test_client()
    assert_error_shape(client.get("/api/search?q=検索", headers={"Host": host}), 400)


def test_a_public_url_on_an_ipv6_address_is_answered_and_written_in_brackets(make_app: AppFactory) -> None:
    client = make_app(SEARCH_PUBLIC_URL="http://[::1]:8000", SEARCH_ALLOWED_HOSTS="localhost").test_client()
    response = client.get("/opensearch.xml", headers={"Host": "[::1]:8000"})
    assert response.status_code == 200
    assert 'template="http://[::1]:8000/?q={searchTerms}"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "origin", ["https://blog.example.jp/blog/", "blog.example.jp", "*", "ftp://blog.example.jp", "https://"]
)
def test_an_allowed_origin_that_is_no_origin_is_refused_at_start(make_app: AppFactory, origin: str) -> None:
    with pytest.raises(SettingError, match=r"^MIKKE_ALLOWED_ORIGINS: .* is not an origin"):
        make_app(SEARCH_ALLOWED_ORIGINS=f"https://other.example, {origin}")


@pytest.mark.parametrize(
    "written", ["https://blog.example.jp/", "HTTPS://Blog.Example.JP", "https://blog.example.jp:443"]
)
def test_an_allowed_origin_is_matched_whatever_form_the_setting_writes_it_in(
    make_app: AppFactory, written: str
) -> None:
    client = make_app(SEARCH_ALLOWED_ORIGINS=written).test_client()
    response = client.get("/api/tags", headers={"Origin": "https://blog.example.jp"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://blog.example.jp"
