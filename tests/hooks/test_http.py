"""The built-in http hook against a real HTTP server on loopback."""
from __future__ import annotations

import json
import socket
import time

import pytest

from app.hooks import HookFailed, call_hook, default_registry
from app.hooks.http import MAX_RESPONSE_BYTES, MAX_TEXT_BYTES, http_hook


def call(params, context):
    """Through call_hook and the default registry, as the worker will."""
    return call_hook(default_registry, "http", params, context)


def test_get_returns_status_lowercased_headers_and_parsed_json(server, make_context):
    result = call({"url": server.url("/json")}, make_context())
    assert result["status"] == 200
    assert result["json"] == {"hello": "world", "n": 1}
    assert json.loads(result["text"]) == result["json"]   # the body as text too, as API.md says
    assert result["headers"]["x-trace"] == "abc"
    assert result["headers"]["content-type"] == "application/json"
    assert result["headers"]["set-cookie"] == "a=1, b=2"
    assert [(r["method"], r["path"]) for r in server.requests] == [("GET", "/json")]


def test_post_sends_the_json_body_as_given(server, make_context):
    sent = {"asset": "LT-0042", "tags": ["laptop", "é"], "count": 2, "ok": True, "none": None}
    result = call({"url": server.url("/echo"), "method": "post", "json": sent}, make_context())
    received = server.requests[0]
    assert received["method"] == "POST"
    assert json.loads(received["body"]) == sent
    assert received["headers"]["Content-Type"] == "application/json"
    assert result["json"]["method"] == "POST"


def test_headers_and_a_text_body_are_sent(server, make_context):
    call(
        {
            "url": server.url("/echo"),
            "method": "PUT",
            "headers": {"X-Request-Id": "r-1", "Accept": "application/json"},
            "body": "plain text ✓",
        },
        make_context(),
    )
    received = server.requests[0]
    assert received["method"] == "PUT"
    assert received["headers"]["X-Request-Id"] == "r-1"
    assert received["headers"]["Accept"] == "application/json"
    assert received["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert received["body"].decode() == "plain text ✓"


def test_a_content_type_given_in_headers_is_kept(server, make_context):
    call(
        {"url": server.url("/echo"), "method": "POST", "json": [1], "headers": {"content-type": "application/vnd+json"}},
        make_context(),
    )
    assert server.requests[0]["headers"]["Content-Type"] == "application/vnd+json"


def test_auth_secret_sends_the_configured_value_as_a_bearer_token(server, make_context):
    call({"url": server.url("/echo"), "auth_secret": "crm_token"}, make_context(secrets={"CRM_TOKEN": "t0k3n"}))
    assert server.requests[0]["headers"]["Authorization"] == "Bearer t0k3n"


def test_a_missing_secret_fails_before_anything_is_sent(server, make_context):
    with pytest.raises(HookFailed, match="secret 'crm_token' is not configured") as failed:
        call({"url": server.url("/echo"), "auth_secret": "crm_token"}, make_context())
    assert failed.value.retryable is False
    assert server.requests == []


def test_head_returns_the_status_and_headers_without_a_body(server, make_context):
    result = call({"url": server.url("/json"), "method": "HEAD"}, make_context())
    assert result["status"] == 200
    assert result["headers"]["x-trace"] == "abc"
    assert (result["json"], result["text"]) == (None, "")
    assert server.requests[0]["method"] == "HEAD"


def test_a_text_answer_is_returned_as_text(server, make_context):
    result = call({"url": server.url("/text")}, make_context())
    assert (result["json"], result["text"]) == (None, "plain words")


def test_an_answer_that_claims_json_but_is_not_comes_back_as_text(server, make_context):
    result = call({"url": server.url("/bad-json")}, make_context())
    assert (result["json"], result["text"]) == (None, "{not json")


def test_long_text_is_cut_at_64_kb(server, make_context):
    result = call({"url": server.url(f"/text?size={MAX_TEXT_BYTES + 5000}")}, make_context())
    assert result["text"] == "a" * MAX_TEXT_BYTES


def test_the_cut_never_splits_a_character(server, make_context):
    # "é" is two bytes in UTF-8; after one ASCII byte the 64 KB cut falls inside an "é",
    # whose first half is dropped rather than shown as a replacement character.
    result = call({"url": server.url(f"/text?prefix=a&size={MAX_TEXT_BYTES}&char=é")}, make_context())
    assert result["text"] == "a" + "é" * ((MAX_TEXT_BYTES - 1) // 2)


@pytest.mark.parametrize(
    "status, retryable",
    [(404, True), (400, True), (409, True), (503, True), (500, True), (429, True), (408, True)],
)
def test_a_refused_status_fails_quoting_the_body_and_is_retried(
    status, retryable, server, make_context
):
    with pytest.raises(HookFailed) as failed:
        call({"url": server.url(f"/status/{status}")}, make_context())
    message = str(failed.value)
    assert failed.value.retryable is retryable
    assert f"GET {server.url(f'/status/{status}')} answered {status}: " in message
    assert message.endswith("E" * 200)  # the first 200 characters of the body, no more
    assert "TAIL" not in message


def test_expect_accepts_other_statuses_and_refuses_the_rest(server, make_context):
    result = call({"url": server.url("/status/404"), "expect": [200, 404]}, make_context())
    assert result["status"] == 404
    assert result["text"] == "E" * 200 + "TAIL"
    with pytest.raises(HookFailed, match="answered 200") as failed:
        call({"url": server.url("/json"), "expect": [201]}, make_context())
    assert failed.value.retryable is True   # refused like any other status: retried, then an incident


def test_a_timeout_is_a_retryable_failure(server, make_context):
    started = time.monotonic()
    with pytest.raises(HookFailed, match="timed out") as failed:
        call({"url": server.url("/slow"), "timeout": 0.2}, make_context())
    assert failed.value.retryable is True
    assert time.monotonic() - started < 0.45  # the server would have answered after 0.5 s


def test_the_timeout_bounds_a_slowly_trickling_answer_too(server, make_context):
    # Each byte comes within the socket timeout; the whole answer takes 1 s.
    started = time.monotonic()
    with pytest.raises(HookFailed, match="timed out") as failed:
        call({"url": server.url("/trickle"), "timeout": 0.25}, make_context())
    assert failed.value.retryable is True
    assert time.monotonic() - started < 0.6


def test_a_refused_connection_is_a_retryable_failure(no_proxy, make_context):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(HookFailed, match="ConnectionRefusedError") as failed:
        call({"url": f"http://127.0.0.1:{port}/"}, make_context())
    assert failed.value.retryable is True


def test_an_announced_body_over_the_limit_is_refused_unread(server, make_context):
    with pytest.raises(HookFailed, match=f"larger than {MAX_RESPONSE_BYTES} bytes") as failed:
        call({"url": server.url("/big")}, make_context())
    assert failed.value.retryable is False


def test_an_unannounced_body_over_the_limit_is_refused(server, make_context):
    with pytest.raises(HookFailed, match=f"larger than {MAX_RESPONSE_BYTES} bytes") as failed:
        call({"url": server.url("/unannounced")}, make_context())
    assert failed.value.retryable is False


def test_a_redirect_on_the_same_origin_keeps_the_bearer(server, make_context):
    context = make_context(secrets={"token": "t0k3n"})
    result = call({"url": server.url(f"/redirect?to={server.url('/echo')}"), "auth_secret": "token"}, context)
    assert result["status"] == 200
    assert [r["path"] for r in server.requests] == ["/redirect", "/echo"]
    assert server.requests[1]["headers"]["Authorization"] == "Bearer t0k3n"


def test_a_redirect_to_another_origin_does_not_carry_the_bearer(server, other_server, make_context):
    context = make_context(secrets={"token": "t0k3n"})
    call({"url": server.url(f"/redirect?to={other_server.url('/echo')}"), "auth_secret": "token"}, context)
    assert server.requests[0]["headers"]["Authorization"] == "Bearer t0k3n"
    assert [r["path"] for r in other_server.requests] == ["/echo"]
    assert "Authorization" not in other_server.requests[0]["headers"]


def test_a_redirect_away_from_http_is_refused(server, make_context):
    with pytest.raises(HookFailed, match="redirected to a non-HTTP URL 'ftp://") as failed:
        call({"url": server.url("/redirect?to=ftp://127.0.0.1/file")}, make_context())
    assert failed.value.retryable is False


def test_the_hook_is_a_plain_function_too(server, make_context):
    assert http_hook({"url": server.url("/json")}, make_context())["json"] == {"hello": "world", "n": 1}


def test_a_url_with_characters_beyond_ascii_is_percent_encoded(server, make_context):
    result = call({"url": server.url("/echo/José?q=ü&already=%20x")}, make_context())
    assert result["status"] == 200
    assert server.requests[0]["path"] == "/echo/Jos%C3%A9"
