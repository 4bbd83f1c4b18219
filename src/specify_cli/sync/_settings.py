"""Where sync settings come from: the environment, then ``$SPEC_KITTY_HOME/auth.json``.

Never the repository: a token in ``.kittify/`` would be committed, and the
server URL is a property of the user, not of the project. Sync is opt-in
(``SPEC_KITTY_ENABLE_SAAS_SYNC=1``); without it, events simply stay queued.

Environment variables (each overrides ``auth.json``):

* ``SPEC_KITTY_HOME``: the state directory (default ``~/.spec-kitty``);
* ``SPEC_KITTY_ENABLE_SAAS_SYNC``: ``1`` (or ``true``/``yes``/``on``) enables sync;
* ``SPEC_KITTY_SAAS_URL``: the server's base URL (``http://`` or ``https://``);
* ``SPEC_KITTY_SAAS_TOKEN``: the bearer token;
* ``SPEC_KITTY_SYNC_TIMEOUT``: seconds per HTTP request (default 10);
* ``SPEC_KITTY_SYNC_RETRIES``: retries after a transient failure (default 2).

``auth.json`` is ``{"server_url": "...", "token": "..."}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from kitty_fs import ReadContext
from specify_cli.errors import InvalidConfig, SyncDisabled, Unauthenticated

__all__ = ["AUTH_FILENAME", "SyncSettings", "load_settings", "state_dir"]

AUTH_FILENAME: Final = "auth.json"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_DEFAULT_TIMEOUT_S: Final = 10.0
_DEFAULT_RETRIES: Final = 2


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's spec-kitty state directory: ``$SPEC_KITTY_HOME`` or ``~/.spec-kitty``."""
    env = os.environ if environ is None else environ
    configured = env.get("SPEC_KITTY_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".spec-kitty"


@attrs.frozen(slots=True)
class SyncSettings:
    """Everything the sync client needs. ``token`` never shows in ``repr``.

    ``source`` says where the URL/token came from (``env``, the auth file's
    path, or ``none``), for ``sync status``. ``backoff_s`` is the first retry
    delay; each retry doubles it (capped at ``backoff_max_s``), with jitter.
    """

    enabled: bool
    server_url: str | None
    token: str | None = attrs.field(default=None, repr=False)
    timeout_s: float = _DEFAULT_TIMEOUT_S
    retries: int = _DEFAULT_RETRIES
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0
    source: str = "none"

    @property
    def authenticated(self) -> bool:
        return bool(self.token)

    def require(self) -> SyncSettings:
        """These settings if sync can run; else ``SyncDisabled`` / ``Unauthenticated``."""
        if not self.enabled:
            raise SyncDisabled("SaaS sync is disabled (SPEC_KITTY_ENABLE_SAAS_SYNC is not 1)")
        if not self.server_url:
            raise SyncDisabled(
                "SaaS sync is enabled but no server URL is configured",
                hint="set SPEC_KITTY_SAAS_URL or server_url in $SPEC_KITTY_HOME/auth.json",
            )
        if not self.token:
            raise Unauthenticated(f"no token for {self.server_url}")
        return self


def _read_auth_file(
    state: ReadContext | None, environ: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    if state is None:
        home = state_dir(environ)
        if not (home / AUTH_FILENAME).is_file():
            return {}, "none"
        from kitty_fs import read_context

        state = read_context(home, reason="sync settings")
    if not state.is_file(AUTH_FILENAME):
        return {}, "none"
    import json

    path = state.path(AUTH_FILENAME)
    try:
        data = json.loads(state.read_text(AUTH_FILENAME))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidConfig(
            f"{path} is not valid JSON: {exc}",
            path=path,
            hint='write it as {"server_url": "https://...", "token": "..."}',
        ) from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str | None) for k in ("server_url", "token")
    ):
        raise InvalidConfig(
            f"{path} must be a JSON object with string server_url and token",
            path=path,
            hint='write it as {"server_url": "https://...", "token": "..."}',
        )
    return {k: v for k, v in data.items() if k in ("server_url", "token") and v}, str(path)


def _number(environ: Mapping[str, str], name: str, default: float, *, integer: bool) -> float:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = -1
    if value < 0 or (not integer and value == 0):
        raise InvalidConfig(
            f"{name}={raw!r} is not a valid {'count' if integer else 'number of seconds'}",
            hint=f"unset {name} or give it a positive number",
        )
    return value


def _check_url(url: str, source: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise InvalidConfig(
            f"server URL {url!r} (from {source}) is not an http(s) URL",
            hint="set it like https://spec-kitty.example.com",
        )
    return url.rstrip("/")


def load_settings(
    state: ReadContext | None = None, *, environ: Mapping[str, str] | None = None
) -> SyncSettings:
    """Read the settings; ``state`` is the state directory (``auth.json`` lives there).

    Never raises for a disabled or unauthenticated setup (``require`` does):
    ``sync status`` must be able to show both. Raises ``InvalidConfig`` for a
    malformed URL, number or auth file.
    """
    env = os.environ if environ is None else environ
    enabled = env.get("SPEC_KITTY_ENABLE_SAAS_SYNC", "").strip().lower() in _TRUE
    url = env.get("SPEC_KITTY_SAAS_URL") or None
    token = env.get("SPEC_KITTY_SAAS_TOKEN") or None
    sources = ["env"] if url or token else []
    if url is None or token is None:
        stored, where = _read_auth_file(state, env)
        from_file = (url is None and "server_url" in stored) or (
            token is None and "token" in stored
        )
        url = url or stored.get("server_url")
        token = token or stored.get("token")
        if from_file:
            sources.append(where)
    source = "+".join(sources) or "none"
    return SyncSettings(
        enabled=enabled,
        server_url=_check_url(url, source) if url else None,
        token=token,
        timeout_s=_number(env, "SPEC_KITTY_SYNC_TIMEOUT", _DEFAULT_TIMEOUT_S, integer=False),
        retries=int(_number(env, "SPEC_KITTY_SYNC_RETRIES", _DEFAULT_RETRIES, integer=True)),
        source=source,
    )
