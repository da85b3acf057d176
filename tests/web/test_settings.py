"""Settings: file + environment, validated at start-up with one clear sentence."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from headway.cli.serve import check_host, server_settings
from headway.errors import ConfigError
from headway.ingest.bot_settings import BotSettings
from headway.settings import (
    Settings,
    TrackingSettings,
    load_settings,
    require_tracking_keys,
)

SECRET = "a-secret-of-more-than-32-bytes-0123456789"
HEADWAY = Path(sys.executable).parent / "headway"
DOCS = Path(__file__).parents[2] / "docs" / "config.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADWAY_CONFIG", raising=False)
    monkeypatch.delenv("HEADWAY_TRACKING__BASE_URL", raising=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_toml_and_yaml_files_give_the_same_settings(tmp_path: Path) -> None:
    toml = write(
        tmp_path,
        "h.toml",
        f"""
max_body_bytes = 4096
[tracking]
base_url = "https://t.example.com/"
[[tracking.keys]]
id = "2026-11"
secret = "{SECRET}"
[bots]
burst_links = 4
""",
    )
    yaml = write(
        tmp_path,
        "h.yaml",
        f"""
max_body_bytes: 4096
tracking:
  base_url: https://t.example.com/
  keys: [{{id: "2026-11", secret: "{SECRET}"}}]
bots: {{burst_links: 4}}
""",
    )
    for path in (toml, yaml):
        s = load_settings(path)
        assert s.max_body_bytes == 4096 and s.bots.burst_links == 4
        assert s.bots.burst_seconds == BotSettings().burst_seconds
        assert s.tracking.base_url == "https://t.example.com"
        assert s.tracking.keys[0].secret.get_secret_value() == SECRET
    assert load_settings(toml) == load_settings(yaml)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "h.toml", '[tracking]\nbase_url = "https://file.example.com"\n')
    monkeypatch.setenv("HEADWAY_CONFIG", str(path))
    monkeypatch.setenv("HEADWAY_TRACKING__BASE_URL", "https://env.example.com")
    monkeypatch.setenv("HEADWAY_BOTS__BURST_SECONDS", "7")
    s = load_settings()
    assert s.tracking.base_url == "https://env.example.com"
    assert s.bots.burst_seconds == 7


def test_secrets_are_never_shown(tmp_path: Path) -> None:
    path = write(tmp_path, "h.yaml", f"tracking: {{keys: [{{id: k, secret: {SECRET}}}]}}\n")
    s = load_settings(path)
    assert SECRET not in repr(s) and SECRET not in str(s)
    assert SECRET not in s.model_dump_json()
    short = write(tmp_path, "short.yaml", "tracking: {keys: [{id: k, secret: tooshort}]}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(short)
    assert "tooshort" not in err.value.message
    assert "tooshort" not in " ".join(str(d) for d in err.value.details)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tracking: {keys: [{id: k, secret: short}]}",
            "setting tracking.keys.0.secret is invalid: must be at least 32 bytes long",
        ),
        (
            "tracking: {base_url: t.example.com}",
            "setting tracking.base_url is invalid: must be an absolute http(s) URL",
        ),
        ("colour: blue", "setting colour is invalid: Extra inputs are not permitted"),
        ("bots: {burst_links: 1}", "setting bots.burst_links is invalid: Input should be"),
        ("max_body_bytes: many", "setting max_body_bytes is invalid: Input should be"),
        (
            f"tracking: {{keys: [{{id: a, secret: {SECRET}}}, {{id: a, secret: {SECRET}}}]}}",
            "setting tracking.keys is invalid: key ids must be unique",
        ),
        ("- a list", "must hold a mapping of settings"),
        ("tracking: {", "is not valid:"),
    ],
)
def test_invalid_settings_stop_with_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, "h.yaml", text + "\n"))
    assert message in err.value.message
    assert "\n" not in err.value.message


def test_missing_or_unknown_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"settings file .*nope\.toml does not exist"):
        load_settings(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"must end in \.toml, \.yaml or \.yml"):
        load_settings(write(tmp_path, "h.ini", "x=1"))


def test_enabled_tracking_without_a_key_names_the_missing_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "h.toml", '[tracking]\nbase_url = "https://t.example.com"\n')
    with pytest.raises(ConfigError, match=r"tracking is enabled but tracking\.keys has no"):
        server_settings(path)
    require_tracking_keys(Settings(tracking=TrackingSettings(enabled=False)))  # no error


def test_without_any_settings_serve_uses_an_ephemeral_key() -> None:
    s = server_settings(None)
    assert [k.id for k in s.tracking.keys] == ["ephemeral"]
    assert len(s.tracking.keys[0].secret.get_secret_value()) >= 32
    assert server_settings(None).tracking.keys[0].secret != s.tracking.keys[0].secret


def test_serve_refuses_non_loopback_hosts() -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        check_host(host)
    for host in ("0.0.0.0", "192.168.1.20", "example.com"):
        with pytest.raises(ConfigError, match="needs API keys"):
            check_host(host)
    run = subprocess.run(
        [str(HEADWAY), "serve", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "refusing to serve on 0.0.0.0" in run.stderr and "Traceback" not in run.stderr


def test_serve_reports_a_bad_settings_file_in_one_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "h.toml", '[[tracking.keys]]\nid = "k"\nsecret = "short"\n')
    run = subprocess.run(
        [str(HEADWAY), "--db", str(tmp_path / "x.duckdb"), "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "tracking.keys.0.secret" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "x.duckdb").exists()  # stopped before touching the database


def _setting_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        inner = info.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel) and name != "webhooks":
            names += _setting_names(inner, f"{prefix}{name}.")
        else:
            names.append(prefix + name)
    return names


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    documented = set(re.findall(r"`([a-z_.]+)`", text))
    names = [*_setting_names(Settings), "tracking.keys.id", "tracking.keys.secret"]
    missing = [n for n in names if n not in documented]
    assert not missing, f"undocumented settings in docs/config.md: {missing}"
