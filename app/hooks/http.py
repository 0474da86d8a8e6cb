"""The built-in ``http`` hook: one HTTP request per service-task attempt.

It uses ``urllib.request`` from the standard library: ``requests`` is only a
dev dependency of Baton (pyproject.toml), so a production install may not have
it, and a service task must not fail for want of a test tool.
"""
from __future__ import annotations

import codecs
import http.client
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from .context import HookContext
from .errors import HookFailed
from .http_request import HttpRequest, http_request
from .registry import hook

# Read at most this much of an answer, so a huge or endless body cannot exhaust memory.
MAX_RESPONSE_BYTES = 1024 * 1024
# What a result keeps of a non-JSON body: results are stored with the instance.
MAX_TEXT_BYTES = 64 * 1024
# What a failure message quotes of the body.
ERROR_BODY_CHARS = 200
READ_CHUNK = 64 * 1024


@hook("http")
def http_hook(params: dict, context: HookContext) -> dict:
    """One request as the parameters say; returns ``{"status", "headers",
    "json", "text"}``. See ``http_request`` for the parameters."""
    request = http_request(params, context)
    deadline = time.monotonic() + request.timeout
    try:
        response = _opener().open(_urllib_request(request), timeout=request.timeout)
    except urllib.error.HTTPError as refused:
        # urllib raises for every status outside 2xx; `expect` may still accept it.
        response = refused
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise HookFailed(f"{request.method} {request.url} failed: {_reason(exc)}") from exc
    with response:
        status = response.status
        if not request.accepts(status):
            raise _refused(request, status, response)
        body = b"" if request.method == "HEAD" else _read_body(request, response, deadline, MAX_RESPONSE_BYTES)
        return _result(status, response.headers, body)


def _urllib_request(request: HttpRequest) -> urllib.request.Request:
    return urllib.request.Request(request.url, data=request.body, headers=request.headers, method=request.method)


def _opener() -> urllib.request.OpenerDirector:
    # Built per call so proxy settings in the environment are read as they are now.
    return urllib.request.build_opener(SafeRedirects())


class SafeRedirects(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, except that they stay on http/https (urllib would
    follow one to ftp:) and that the bearer token is not sent on to another
    origin (urllib copies every header to wherever it is redirected)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise HookFailed(f"{req.get_method()} {req.full_url} redirected to a non-HTTP URL {newurl!r}", retryable=False)
        follow = super().redirect_request(req, fp, code, msg, headers, newurl)
        if follow is not None and _origin(newurl) != _origin(req.full_url):
            follow.remove_header("Authorization")
        return follow


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80)


def _reason(exc: Exception) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return "timed out"
    return f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)


def _read_body(request: HttpRequest, response, deadline: float, limit: int) -> bytes:
    """At most ``limit`` bytes (more is a failure), within the request's
    timeout in all: the socket timeout alone bounds each read, not a server
    that trickles a byte at a time."""
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise _too_big(request, limit)
    # read1 returns what one receive brings instead of waiting for a full chunk,
    # so the deadline is checked while a slow answer arrives.
    read = getattr(response, "read1", response.read)
    chunks, size = [], 0
    while True:
        try:
            chunk = read(min(READ_CHUNK, limit + 1 - size))
        except (http.client.HTTPException, OSError) as exc:
            raise HookFailed(f"{request.method} {request.url} failed while reading the answer: {_reason(exc)}") from exc
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _too_big(request, limit)
        if time.monotonic() > deadline:
            raise HookFailed(f"{request.method} {request.url} failed: timed out reading the answer")


def _too_big(request: HttpRequest, limit: int) -> HookFailed:
    # The same request would get the same answer: retrying does not help.
    return HookFailed(f"{request.method} {request.url}: the answer is larger than {limit} bytes", retryable=False)


def _refused(request: HttpRequest, status: int, response) -> HookFailed:
    try:
        # Only what the message quotes is needed (a UTF-8 character is at most 4 bytes).
        start = response.read(ERROR_BODY_CHARS * 4)
    except (http.client.HTTPException, OSError):
        start = b""
    excerpt = _decode(start, response.headers).strip()[:ERROR_BODY_CHARS]
    # Every refused status is retried, as API.md promises: a 404 or 403 is often
    # a service being deployed or a permission being granted, and the retries
    # are few and spaced before the call becomes an incident.
    return HookFailed(f"{request.method} {request.url} answered {status}: {excerpt}", retryable=True)


def _result(status: int, headers: http.client.HTTPMessage, body: bytes) -> dict:
    data = _json_body(body, headers)
    return {
        "status": status,
        "headers": _headers(headers),
        "json": data,
        "text": _decode(body[:MAX_TEXT_BYTES], headers),
    }


def _headers(headers: http.client.HTTPMessage) -> dict[str, str]:
    """Lower-cased names; a header sent several times is joined with ", " as
    HTTP allows, so the result stays a plain mapping."""
    joined: dict[str, str] = {}
    for name, value in headers.items():
        name = name.lower()
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def _json_body(body: bytes, headers: http.client.HTTPMessage):
    """The parsed body when the server says it is JSON, else None. NaN and
    Infinity are refused: they are not JSON and could not be stored."""
    content_type = headers.get_content_type()
    if not body or not (content_type == "application/json" or content_type.endswith("+json")):
        return None
    try:
        return json.loads(_decode(body, headers), parse_constant=_refuse_constant)
    except ValueError:
        return None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _decode(body: bytes, headers: http.client.HTTPMessage) -> str:
    charset = headers.get_content_charset() or "utf-8"
    try:
        decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # Not final: a character cut in half by a size limit is dropped, not shown as garbage.
    return decoder.decode(body, final=False)
