"""docs/deploy.md promises behaviour: its settings file loads as written."""

from __future__ import annotations

import re
from pathlib import Path

from headway.settings import load_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_the_deploy_settings_file_loads(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) == 1, "docs/deploy.md has one settings file"
    path = tmp_path / "headway.toml"
    path.write_text(blocks[0])
    settings = load_settings(path)
    assert settings.http.trusted_proxies == ("127.0.0.1", "::1")
    assert settings.http.header_timeout == 10 and settings.http.max_connections == 1000
    assert settings.tracking.keys[0].id == "2026-12" and settings.session_secret is not None
