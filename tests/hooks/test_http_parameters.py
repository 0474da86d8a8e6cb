"""The http hook's parameters: every mistake is named and never retried, and
nothing is sent."""
from __future__ import annotations

import pytest

from app.hooks import HookFailed, call_hook, default_registry
from app.hooks.http_request import http_request


@pytest.mark.parametrize(
    "params, named",
    [
        ({}, "parameter 'url' is required"),
        ({"url": "ftp://127.0.0.1/file"}, "parameter 'url' must be an http or https URL"),
        ({"url": "file:///etc/passwd"}, "parameter 'url' must be an http or https URL"),
        ({"url": "/relative/path"}, "parameter 'url' must be an http or https URL"),
        ({"url": "http:///no-host"}, "parameter 'url' has no host"),
        ({"url": "http://user:pw@127.0.0.1/"}, "parameter 'url' must not carry credentials"),
        ({"url": "http://127.0.0.1/a b"}, "parameter 'url' must be a URL without spaces"),
        ({"url": "http://127.0.0.1:99999/"}, "parameter 'url' has an invalid port"),
        ({"url": 42}, "parameter 'url' must be a URL"),
        ({"method": "TRACE"}, "parameter 'method' must be one of GET, POST, PUT, PATCH, DELETE, HEAD"),
        ({"headers": ["X-A: 1"]}, "parameter 'headers' must be a mapping"),
        ({"headers": {"X-A": 1}}, "parameter 'headers' value of 'X-A' must be a string"),
        ({"headers": {"X-A": "1\r\nX-Injected: yes"}}, "parameter 'headers' value of 'X-A' must be a string without line breaks"),
        ({"headers": {"Bad Name": "1"}}, "parameter 'headers' has an invalid header name 'Bad Name'"),
        ({"json": {"a": 1}, "body": "text"}, "parameter 'body' cannot be given together with 'json'"),
        ({"json": {"a": {1, 2}}}, "parameter 'json' cannot be sent as JSON"),
        ({"body": {"a": 1}}, "parameter 'body' must be text"),
        ({"timeout": 61}, "parameter 'timeout' must be a number of seconds above 0 and at most 60"),
        ({"timeout": 0}, "parameter 'timeout'"),
        ({"timeout": "5"}, "parameter 'timeout'"),
        ({"timeout": True}, "parameter 'timeout'"),
        ({"expect": 200}, "parameter 'expect' must be a non-empty list"),
        ({"expect": []}, "parameter 'expect' must be a non-empty list"),
        ({"expect": [200, 99]}, "parameter 'expect' has 99"),
        ({"auth_secret": ""}, "parameter 'auth_secret' must be the name of a configured secret"),
        ({"auth_secret": "t", "headers": {"Authorization": "Basic x"}}, "parameter 'auth_secret' and an Authorization header"),
        ({"header": {"X-A": "1"}}, "unknown parameter(s) 'header'"),
    ],
)
def test_a_bad_parameter_is_named_and_not_retried(params, named, server, make_context):
    params = {"url": server.url("/echo"), **params} if "url" not in params and params else params
    with pytest.raises(HookFailed) as failed:
        call_hook(default_registry, "http", params, make_context(secrets={"t": "v"}))
    assert named in str(failed.value)
    assert failed.value.retryable is False
    assert server.requests == []


def test_an_optional_parameter_set_to_none_counts_as_not_given(server, make_context):
    params = {"url": server.url("/json"), "method": None, "headers": None, "timeout": None, "expect": None, "json": None}
    assert call_hook(default_registry, "http", params, make_context())["status"] == 200
    assert server.requests[0]["method"] == "GET"


def test_a_secret_with_a_line_break_is_refused_without_showing_it(server, make_context):
    context = make_context(secrets={"token": "abc\r\nX-Injected: yes"})
    with pytest.raises(HookFailed, match="secret 'token' contains a line break") as failed:
        call_hook(default_registry, "http", {"url": server.url("/echo"), "auth_secret": "token"}, context)
    assert "abc" not in str(failed.value)
    assert server.requests == []


def test_a_non_ascii_host_is_idna_encoded_and_escapes_are_kept(make_context):
    request = http_request({"url": "http://bücher.example:8080/José?q=ü&a=%20"}, make_context())
    assert request.url == "http://xn--bcher-kva.example:8080/Jos%C3%A9?q=%C3%BC&a=%20"


def test_defaults_get_any_2xx_within_ten_seconds(make_context):
    request = http_request({"url": "https://example.org/x"}, make_context())
    assert (request.method, request.timeout, request.body, request.headers) == ("GET", 10.0, None, {})
    assert request.accepts(200) and request.accepts(299) and not request.accepts(300)
