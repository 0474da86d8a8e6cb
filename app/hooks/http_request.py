"""The ``http`` hook's parameters, checked and turned into one request.

Every mistake here is in the diagram (or its data), so it is a non-retryable
``HookFailed`` that names the parameter: trying again would fail the same way.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from .context import HookContext
from .errors import HookFailed

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 60.0
PARAMETERS = ("url", "method", "headers", "json", "body", "timeout", "auth_secret", "expect")

# RFC 9110 token characters; anything else in a header name is a typo or an attack.
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# CR, LF or NUL in a value would let data split one header into two.
UNSAFE_HEADER_VALUE = re.compile(r"[\r\n\x00]")
UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class HttpRequest:
    url: str
    method: str
    headers: dict[str, str]
    body: bytes | None
    timeout: float
    expect: frozenset[int] | None  # None: any 2xx

    def accepts(self, status: int) -> bool:
        return status in self.expect if self.expect is not None else 200 <= status < 300


def bad(parameter: str, problem: str) -> HookFailed:
    return HookFailed(f"http hook: parameter {parameter!r} {problem}", retryable=False)


def http_request(params: Mapping, context: HookContext) -> HttpRequest:
    if not isinstance(params, Mapping):
        raise HookFailed(f"http hook: parameters must be a mapping, got {type(params).__name__}", retryable=False)
    unknown = sorted(str(name) for name in params if name not in PARAMETERS)
    if unknown:
        raise HookFailed(
            f"http hook: unknown parameter(s) {', '.join(map(repr, unknown))} (known: {', '.join(PARAMETERS)})",
            retryable=False,
        )
    # A parameter evaluated to None counts as not given, so a diagram can leave
    # an optional one empty.
    given = {name: value for name, value in params.items() if value is not None}
    url = _url(given.get("url"))
    method = _method(given.get("method", "GET"))
    timeout = _timeout(given.get("timeout", DEFAULT_TIMEOUT))
    expect = _expect(given.get("expect"))
    headers = _headers(given.get("headers", {}))
    body = _body(given, headers)
    # Last, so a diagram mistake above is reported before a missing secret.
    if "auth_secret" in given:
        headers["Authorization"] = f"Bearer {_secret(given['auth_secret'], headers, context)}"
    return HttpRequest(url=url, method=method, headers=headers, body=body, timeout=timeout, expect=expect)


def _secret(name, headers: Mapping[str, str], context: HookContext) -> str:
    """Only the secret's NAME is in the diagram; its value comes from configuration."""
    if not isinstance(name, str) or not name.strip():
        raise bad("auth_secret", f"must be the name of a configured secret, got {name!r}")
    if any(header.lower() == "authorization" for header in headers):
        raise bad("auth_secret", "and an Authorization header cannot both be given")
    value = context.secret(name)
    if UNSAFE_HEADER_VALUE.search(value):
        # The value is not shown: it is a secret.
        raise HookFailed(f"http hook: secret {name!r} contains a line break or NUL", retryable=False)
    return value


def _url(url) -> str:
    if url is None:
        raise bad("url", "is required")
    if not isinstance(url, str) or not url or UNSAFE_URL.search(url):
        raise bad("url", f"must be a URL without spaces or control characters, got {url!r}")
    parts = urlsplit(url)
    # urllib would also open file:, ftp: and data: URLs; a service task only talks HTTP.
    if parts.scheme.lower() not in ("http", "https"):
        raise bad("url", f"must be an http or https URL, got {url!r}")
    if not parts.hostname:
        raise bad("url", f"has no host: {url!r}")
    if parts.username is not None or parts.password is not None:
        raise bad("url", "must not carry credentials: name a configured secret in 'auth_secret' instead")
    try:
        parts.port
    except ValueError:
        raise bad("url", f"has an invalid port: {url!r}") from None
    return _ascii_url(url)


def _ascii_url(url: str) -> str:
    """The URL as it goes on the wire. A URL templated from task data may hold
    any character ("/users/José"); urllib sends ASCII only, so the host is
    IDNA-encoded and other characters percent-encoded. Existing %XX escapes and
    the URL's own delimiters are left as they are."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if not parts.hostname.isascii():
        try:
            host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad("url", f"has a host name that cannot be encoded: {parts.hostname!r}") from None
        netloc = host if parts.port is None else f"{host}:{parts.port}"
    safe = "!#$%&'()*+,/:;=?@[]~"
    return urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe=safe), quote(parts.query, safe=safe), quote(parts.fragment, safe=safe))
    )


def _method(method) -> str:
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise bad("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    return method.upper()


def _headers(headers) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        raise bad("headers", f"must be a mapping of names to strings, got {type(headers).__name__}")
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            raise bad("headers", f"has an invalid header name {name!r}")
        if not isinstance(value, str) or UNSAFE_HEADER_VALUE.search(value):
            raise bad("headers", f"value of {name!r} must be a string without line breaks, got {value!r}")
        checked[name] = value
    return checked


def _body(given: Mapping, headers: dict[str, str]) -> bytes | None:
    """The request body; sets a Content-Type unless the diagram gave one."""
    if "json" in given and "body" in given:
        raise bad("body", "cannot be given together with 'json'")
    has_content_type = any(name.lower() == "content-type" for name in headers)
    if "json" in given:
        try:
            data = json.dumps(given["json"], allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise bad("json", f"cannot be sent as JSON: {exc}") from None
        if not has_content_type:
            headers["Content-Type"] = "application/json"
        return data
    if "body" in given:
        if not isinstance(given["body"], str):
            raise bad("body", f"must be text, got {type(given['body']).__name__} (use 'json' for data)")
        if not has_content_type:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return given["body"].encode()
    return None


def _timeout(timeout) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise bad("timeout", f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {timeout!r}")
    return float(timeout)


def _expect(expect) -> frozenset[int] | None:
    if expect is None:
        return None
    if not isinstance(expect, (list, tuple)) or not expect:
        raise bad("expect", f"must be a non-empty list of status codes, got {expect!r}")
    for status in expect:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise bad("expect", f"has {status!r}, which is not an HTTP status code")
    return frozenset(expect)
