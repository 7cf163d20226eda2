"""The CLI config file: where it lives, who can read it, what the environment overrides."""

from __future__ import annotations

import stat

import pytest

from aifhub.client.config import config_path, forget_token, load_config, save_config


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AIFHUB_URL", raising=False)
    monkeypatch.delenv("AIFHUB_TOKEN", raising=False)
    return tmp_path


def test_save_load_forget(home, monkeypatch):
    assert config_path() == home / "xdg" / "aifhub" / "config.toml"
    assert load_config().token is None and load_config().url_source == "default"
    path = save_config(url='https://hub.example.eu/"x"', token="aifh_secret", token_id=7)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    cfg = load_config()
    assert (cfg.url, cfg.token, cfg.token_id) == ('https://hub.example.eu/"x"', "aifh_secret", 7)
    assert (cfg.url_source, cfg.token_source) == ("file", "file")

    monkeypatch.setenv("AIFHUB_URL", "http://other:9000")
    monkeypatch.setenv("AIFHUB_TOKEN", "aifh_env")
    cfg = load_config()
    assert (cfg.url, cfg.token, cfg.token_id) == ("http://other:9000", "aifh_env", None)
    assert (cfg.url_source, cfg.token_source) == ("env", "env")

    monkeypatch.delenv("AIFHUB_URL")
    monkeypatch.delenv("AIFHUB_TOKEN")
    assert forget_token() is True and forget_token() is False
    cfg = load_config()
    assert cfg.token is None and cfg.url == 'https://hub.example.eu/"x"'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_broken_file_says_what_to_do(home):
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("url = \n")
    with pytest.raises(ValueError, match="not valid TOML.*fix or delete it"):
        load_config()
