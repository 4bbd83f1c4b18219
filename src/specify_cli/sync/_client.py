"""The SaaS HTTP client: the only module of ``specify_cli`` that imports httpx.

Everything else imports it lazily (inside functions), so a read command that
never talks to the server does not pay httpx's import (~90 ms) at start-up.

Failure policy, one rule per kind of failure:

* transient (connection refused/reset/dropped, timeout, 5xx, 429): retried
  with exponential backoff and jitter, ``settings.retries`` times; 429 and 503
  honour ``Retry-After`` (capped). Retrying a batch is safe because the server
  deduplicates on ``event_id``;
* 401/403: ``Unauthenticated`` at once (retrying cannot fix a token);
* 409 with a stale-binding code: ``StaleBinding`` at once;
* other 4xx: ``ServerError`` at once (the request itself was refused);
* a 2xx answer that is not the protocol (not JSON, wrong shape):
  ``BadResponse`` at once.

The protocol itself is documented in ``specify_cli.saas_reference``.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import Final

import attrs
import httpx

from specify_cli.errors import (
    BadResponse,
    ServerError,
    ServerTimeout,
    ServerUnreachable,
    StaleBinding,
    SyncError,
    Unauthenticated,
)
from specify_cli.sync._closing import Closing
from specify_cli.sync._settings import SyncSettings

__all__ = ["STALE_BINDING_CODES", "BatchOutcome", "PulledPage", "SaasClient"]

STALE_BINDING_CODES: Final = frozenset(
    {"binding_not_found", "mapping_disabled", "project_mismatch"}
)
_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER_S: Final = 30.0
_USER_AGENT: Final = "spec-kitty-cli (kitty-fs)"


@attrs.frozen(slots=True)
class BatchOutcome:
    """The server's verdict per event of one batch.

    ``delivered`` holds ids answered ``accepted`` or ``duplicate`` (both mean the
    server has it); ``rejected`` maps ids to the server's reason; ids missing
    from the answer are in neither and stay queued.
    """

    accepted: tuple[str, ...]
    duplicates: tuple[str, ...]
    rejected: Mapping[str, str]

    @property
    def delivered(self) -> tuple[str, ...]:
        return self.accepted + self.duplicates


@attrs.frozen(slots=True)
class PulledPage:
    events: tuple[Mapping[str, object], ...]
    next_cursor: str | None


def _error_code(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` from an error body ``{"error": {"code", "message"}}``, if any."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code", "")), str(error.get("message", ""))
    return "", ""


@functools.cache
def _ca_context() -> ssl.SSLContext:
    """The CA store, loaded once per process: httpx reloads it for every Client (20-60 ms)."""
    return httpx.create_ssl_context()


def _verify(url: str) -> ssl.SSLContext | bool:
    # Plain http (the loopback reference server) needs no CA store at all.
    return False if url.lower().startswith("http://") else _ca_context()


class SaasClient(Closing):
    """A connection to the spec-kitty SaaS. Use as a context manager, or ``close`` it."""

    def __init__(self, settings: SyncSettings) -> None:
        settings = settings.require()
        assert settings.server_url is not None  # require() guarantees it
        self.settings = settings
        self.base_url = settings.server_url
        self._http = httpx.Client(
            base_url=settings.server_url,
            verify=_verify(settings.server_url),
            timeout=httpx.Timeout(settings.timeout_s),
            headers={
                "Authorization": f"Bearer {settings.token}",
                "User-Agent": _USER_AGENT,
                "Accept": "application/json",
            },
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    # -- transport with retries ----------------------------------------------------------

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        after: str | None = response.headers.get("Retry-After") if response is not None else None
        if after:
            try:
                return min(max(float(after), 0.0), _MAX_RETRY_AFTER_S)
            except ValueError:
                pass
        ceiling = min(self.settings.backoff_max_s, self.settings.backoff_s * 2.0**attempt)
        # "Equal jitter": at least half the backoff, so retries do spread out, plus a
        # random half, so many clients failing together do not retry in lockstep.
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (not security)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json_body: object = None,
    ) -> dict[str, object]:
        what = f"{method} {self.base_url}{path}"
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            failure, response = self._attempt(what, method, path, params, content, json_body)
            if response is not None and failure is None:
                return self._accept(what, response)
            assert failure is not None
            if attempt + 1 == attempts:
                failure.details["attempts"] = attempts
                raise failure
            time.sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")

    def _attempt(
        self,
        what: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
        json_body: object,
    ) -> tuple[SyncError | None, httpx.Response | None]:
        """One try: ``(None, response)`` to accept, ``(retryable failure, response-or-None)``."""
        try:
            if content is not None:
                response = self._http.request(
                    method,
                    path,
                    params=params,
                    content=content,
                    headers={"Content-Type": "application/json"},
                )
            else:
                response = self._http.request(method, path, params=params, json=json_body)
        except httpx.TimeoutException as exc:
            return ServerTimeout(
                f"{what}: no answer within {self.settings.timeout_s:g}s ({type(exc).__name__})"
            ), None
        except httpx.TransportError as exc:
            return ServerUnreachable(f"{what}: {type(exc).__name__}: {exc or 'failed'}"), None
        if response.status_code in _RETRY_STATUS:
            code, message = _error_code(response)
            return ServerError(
                f"{what}: HTTP {response.status_code}{f' {code}' if code else ''}"
                f"{f': {message}' if message else ''}"
            ), response
        return None, response

    def _accept(self, what: str, response: httpx.Response) -> dict[str, object]:
        status = response.status_code
        if status in (401, 403):
            raise Unauthenticated(f"{what}: the server refused the token (HTTP {status})")
        if status >= 400:
            code, message = _error_code(response)
            if status == 409 and code in STALE_BINDING_CODES:
                raise StaleBinding(
                    f"the server reports the tracker binding is stale ({code}: {message})",
                    details={"server_code": code},
                )
            raise ServerError(
                f"{what}: the server refused the request (HTTP {status}"
                f"{f' {code}' if code else ''}{f': {message}' if message else ''})",
                hint="this is likely a client/server version mismatch; report it",
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            sample = response.text[:80].replace("\n", " ")
            raise BadResponse(f"{what}: answer is not a JSON object (HTTP {status}: {sample!r})")
        return body

    # -- endpoints ---------------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        """``GET /api/v1/health``: proves the URL and the token work."""
        return self._request("GET", "/api/v1/health")

    def send_batch(self, envelopes_json: Sequence[str]) -> BatchOutcome:
        """``POST /api/v1/events/batch`` with already-serialised envelopes (sent verbatim)."""
        content = ('{"events":[' + ",".join(envelopes_json) + "]}").encode()
        body = self._request("POST", "/api/v1/events/batch", content=content)
        results = body.get("results")
        if not isinstance(results, list):
            raise BadResponse("batch answer has no 'results' list")
        accepted: list[str] = []
        duplicates: list[str] = []
        rejected: dict[str, str] = {}
        for item in results:
            if not isinstance(item, dict) or not isinstance(item.get("event_id"), str):
                raise BadResponse(f"batch answer has a malformed result: {item!r:.80}")
            event_id, verdict = item["event_id"], item.get("status")
            if verdict == "accepted":
                accepted.append(event_id)
            elif verdict == "duplicate":
                duplicates.append(event_id)
            elif verdict == "rejected":
                rejected[event_id] = str(item.get("error", "rejected"))
            else:
                raise BadResponse(f"batch answer has an unknown status {verdict!r}")
        return BatchOutcome(tuple(accepted), tuple(duplicates), rejected)

    def fetch_events(self, project_uuid: str, after: str | None, limit: int) -> PulledPage:
        """``GET /api/v1/events``: the project's events after ``after`` (a server cursor)."""
        params = {"project_uuid": project_uuid, "limit": str(limit)}
        if after is not None:
            params["after"] = after
        body = self._request("GET", "/api/v1/events", params=params)
        events = body.get("events")
        cursor = body.get("next_cursor")
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise BadResponse("events answer has no 'events' list of objects")
        if cursor is not None and not isinstance(cursor, str | int):
            raise BadResponse("events answer has a malformed 'next_cursor'")
        return PulledPage(tuple(events), None if cursor is None else str(cursor))

    def tracker(
        self, method: str, operation: str, payload: Mapping[str, object]
    ) -> dict[str, object]:
        """A tracker endpoint: ``GET /api/v1/tracker/<operation>`` (query) or ``POST`` (JSON)."""
        path = f"/api/v1/tracker/{operation}"
        if method == "GET":
            params = {k: str(v) for k, v in payload.items() if v is not None}
            return self._request("GET", path, params=params)
        return self._request("POST", path, json_body=dict(payload))
