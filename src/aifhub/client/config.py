"""The CLI's config file (~/.config/aifhub/config.toml): server URL and API token."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass
class ClientConfig:
    """Where the server is and which token to send; env AIFHUB_URL/AIFHUB_TOKEN win."""

    url: str = DEFAULT_URL
    token: str | None = None
    token_id: int | None = None
    # Where each value came from ("file", "env", "default"): `whoami` shows it.
    url_source: str = "default"
    token_source: str | None = None


def config_path() -> Path:
    """$XDG_CONFIG_HOME/aifhub/config.toml (XDG_CONFIG_HOME defaults to ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "aifhub" / "config.toml"


def _read_file(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML ({exc}); fix or delete it.") from exc


def load_config(path: Path | None = None) -> ClientConfig:
    """The file's settings with the environment's overrides applied."""
    path = path or config_path()
    data = _read_file(path)
    cfg = ClientConfig()
    if isinstance(data.get("url"), str):
        cfg.url, cfg.url_source = str(data["url"]), "file"
    if isinstance(data.get("token"), str):
        cfg.token, cfg.token_source = str(data["token"]), "file"
    if isinstance(data.get("token_id"), int):
        cfg.token_id = int(data["token_id"])  # type: ignore[call-overload]
    if os.environ.get("AIFHUB_URL"):
        cfg.url, cfg.url_source = os.environ["AIFHUB_URL"], "env"
    if os.environ.get("AIFHUB_TOKEN"):
        cfg.token, cfg.token_source, cfg.token_id = os.environ["AIFHUB_TOKEN"], "env", None
    return cfg


def save_config(
    *, url: str, token: str | None, token_id: int | None = None, path: Path | None = None
) -> Path:
    """Write the file (mode 0600, folder 0700); only what was given, nothing from the env."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # JSON strings are valid TOML basic strings.
    lines = [f"url = {json.dumps(url)}"]
    if token:
        lines.append(f"token = {json.dumps(token)}")
    if token_id is not None:
        lines.append(f"token_id = {int(token_id)}")
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def forget_token(path: Path | None = None) -> bool:
    """Remove the token from the file, keeping the URL; True when there was one."""
    path = path or config_path()
    data = _read_file(path)
    if "token" not in data:
        return False
    save_config(url=str(data.get("url") or DEFAULT_URL), token=None, path=path)
    return True
