"""Settings are declared once and layered defaults -> MIKKE_* environment -> flags."""

from __future__ import annotations

import pytest

from mikke.search.config import SETTINGS
from mikke.search.config import Settings
from mikke.search.config import env_setting
from mikke.search.errors import SettingError


def test_defaults_apply_without_environment() -> None:
    settings = Settings.load(env={})
    assert settings.index == "index"
    assert settings.port == 8000
    assert settings.allowed_origins == ()


def test_environment_overrides_defaults_and_flags_override_environment() -> None:
    env = {"MIKKE_INDEX": "/srv/idx", "MIKKE_PORT": "9000", "MIKKE_INCLUDE_HIDDEN": "yes"}
    settings = Settings.load(env=env)
    assert (settings.index, settings.port, settings.include_hidden) == ("/srv/idx", 9000, True)
    assert Settings.load(env=env, index="/other", port=None).index == "/other"
    assert Settings.load(env=env, port=None).port == 9000  # None means "flag not given"


def test_origins_are_a_comma_separated_list() -> None:
    settings = Settings.load(env={"MIKKE_ALLOWED_ORIGINS": "https://a.jp, https://b.jp"})
    assert settings.allowed_origins == ("https://a.jp", "https://b.jp")


@pytest.mark.parametrize(("name", "value"), [("MIKKE_PORT", "eighty"), ("MIKKE_INCLUDE_HIDDEN", "maybe")])
def test_invalid_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingError, match=name):
        Settings.load(env={name: value})


def test_unknown_override_is_an_error() -> None:
    with pytest.raises(SettingError, match="Unknown setting"):
        Settings.load(env={}, colour="blue")


def test_every_setting_has_help_and_a_field() -> None:
    fields = set(Settings.__dataclass_fields__)
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name
        assert setting.name in fields
    assert fields == {s.name for s in SETTINGS}


def test_one_setting_is_read_without_checking_the_others() -> None:
    env = {"MIKKE_SITE_URL": "http://127.0.0.1:4000", "MIKKE_PORT": "eighty"}
    assert env_setting("site_url", env) == "http://127.0.0.1:4000"
    assert env_setting("site_url", {}) == ""


def test_every_number_setting_declares_bounds_that_hold_its_default() -> None:
    for setting in SETTINGS:
        if isinstance(setting.default, (int, float)) and not isinstance(setting.default, bool):
            assert setting.bounds is not None, setting.name
            low, high = setting.bounds
            assert low is None or setting.default >= low, setting.name
            assert high is None or setting.default <= high, setting.name


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MIKKE_WORKERS", "1000", "MIKKE_WORKERS (--workers) must be from 1 to 64, not 1000."),
        ("MIKKE_WORKERS", "-1", "MIKKE_WORKERS (--workers) must be from 1 to 64, not -1."),
        ("MIKKE_THREADS", "0", "MIKKE_THREADS must be from 1 to 64, not 0."),
        ("MIKKE_MAX_QUERY_CHARS", "-1", "MIKKE_MAX_QUERY_CHARS must be from 1 to 100000, not -1."),
        ("MIKKE_MAX_QUERY_CHARS", "0", "MIKKE_MAX_QUERY_CHARS must be from 1 to 100000, not 0."),
        ("MIKKE_PER_PAGE", "0", "MIKKE_PER_PAGE (--limit) must be at least 1, not 0."),
        ("MIKKE_MAX_PER_PAGE", "1001", "MIKKE_MAX_PER_PAGE must be from 1 to 1000, not 1001."),
        ("MIKKE_PORT", "-1", "MIKKE_PORT (--port) must be from 1 to 65535, not -1."),
        ("MIKKE_PORT", "65536", "MIKKE_PORT (--port) must be from 1 to 65535, not 65536."),
        ("MIKKE_JOBS", "65", "MIKKE_JOBS (--jobs) must be from 0 to 64, not 65."),
        ("MIKKE_PROXY_HOPS", "-1", "MIKKE_PROXY_HOPS must be from 0 to 10, not -1."),
        (
            "MIKKE_STATS_DAYS",
            "99999999999999999999",
            "MIKKE_STATS_DAYS must be from 1 to 36500, not 99999999999999999999.",
        ),
        ("MIKKE_TEMPLATE_MIN_POSTS", "1", "MIKKE_TEMPLATE_MIN_POSTS must be at least 2, not 1."),
        ("MIKKE_TEMPLATE_MIN_SHARE", "1.5", "MIKKE_TEMPLATE_MIN_SHARE must be from 0 to 1, not 1.5."),
        ("MIKKE_TEMPLATE_MIN_SHARE", "nan", "MIKKE_TEMPLATE_MIN_SHARE must be from 0 to 1, not nan."),
        (
            "MIKKE_INDEX_MEMORY_MB",
            "5000",
            "MIKKE_INDEX_MEMORY_MB (--memory-mb) must be from 16 to 4000, not 5000.",
        ),
    ],
)
def test_a_number_outside_its_settings_bounds_is_refused_in_one_line_naming_the_variable(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingError) as refused:
        Settings.load(env={name: value})
    assert str(refused.value) == message


def test_flags_and_app_config_are_held_to_the_same_bounds_as_the_environment() -> None:
    with pytest.raises(SettingError, match=r"^MIKKE_PORT \(--port\) must be from 1 to 65535, not 70000\.$"):
        Settings.load(env={}, port=70000)
    with pytest.raises(SettingError, match=r"^MIKKE_MAX_QUERY_CHARS must be from 1 to 100000, not 0\.$"):
        Settings.load(env={}).replace(max_query_chars=0)


def test_the_ends_of_each_range_are_accepted() -> None:
    for setting in SETTINGS:
        for end in setting.bounds or ():
            if end is not None:
                assert getattr(Settings.load(env={}, **{setting.name: end}), setting.name) == end


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "MIKKE_INDEX",
            "MIKKE_INDEX (--index) is empty; name a folder (or leave it unset for the default, index).",
        ),
        ("MIKKE_SITE", "MIKKE_SITE is empty; name a folder (or leave it unset for the default, .)."),
    ],
)
def test_an_empty_index_or_site_folder_is_refused_rather_than_taken_as_the_current_folder(
    name: str, message: str
) -> None:
    for empty in ("", "  "):
        with pytest.raises(SettingError) as refused:
            Settings.load(env={name: empty})
        assert str(refused.value) == message
    with pytest.raises(SettingError, match=r"^MIKKE_INDEX \(--index\) is empty"):
        Settings.load(env={}, index="")
