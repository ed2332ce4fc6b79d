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
