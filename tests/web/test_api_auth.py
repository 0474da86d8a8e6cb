"""Bearer tokens: who may call at all (401), before anything else is looked at."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import ApiToken, User, db


def _set_tokens(app, username: str, **values) -> None:
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user_id).values(**values))
        db.session.commit()


def _assert_401(response, message_part: str = "") -> None:
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized"
    assert message_part.lower() in body["message"].lower()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer bt_not-a-token"},
    {"Authorization": "Basic YWRtaW46c2VjcmV0"},
    {"Authorization": "bt_without_scheme"},
], ids=["missing", "empty", "wrong", "basic", "no-scheme"])
def test_calls_without_a_valid_token_are_refused(api, headers):
    for path in ("/definitions", "/instances", "/tasks", "/tasks/x", "/instances/1"):
        _assert_401(api.get(path, as_=None, headers=headers))


def test_an_expired_token_is_refused(app, api, clock):
    _set_tokens(app, "alice", expires_at=clock.now() + timedelta(seconds=1))
    assert api.get("/tasks", as_="alice").status_code == 200
    clock.advance(seconds=1)
    _assert_401(api.get("/tasks", as_="alice"), "expired")
    assert api.get("/tasks", as_="bob").status_code == 200


def test_a_token_valid_until_later_works(app, api, clock):
    _set_tokens(app, "alice", expires_at=clock.now() + timedelta(hours=1))
    assert api.get("/tasks", as_="alice").status_code == 200


def test_a_revoked_token_and_an_inactive_user_are_refused(app, api):
    _set_tokens(app, "alice", revoked=True)
    _assert_401(api.get("/tasks", as_="alice"))
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "bob").values(active=False))
        db.session.commit()
    _assert_401(api.get("/tasks", as_="bob"))


def test_a_token_revoked_elsewhere_stops_working_within_the_cache_time(app, api, clock):
    # Another process (here: a direct database change) revokes a token this
    # process has just recognised: it is trusted for at most the cache time.
    assert api.get("/tasks", as_="alice").status_code == 200
    _set_tokens(app, "alice", revoked=True)
    clock.advance(timedelta(seconds=app.config["BATON_TOKEN_CACHE_SECONDS"]))
    _assert_401(api.get("/tasks", as_="alice"))


def test_changes_made_in_this_process_count_at_once(app, api):
    from app.services import users

    assert api.post("/deployments", as_="alice", data={}).status_code == 403
    with app.app_context():
        users.add_user("alice", role="owner")
    # Now an owner: past the permission check, refused only for sending no files.
    assert api.post("/deployments", as_="alice", data={}).status_code == 422


def test_the_scheme_is_case_insensitive(api, tokens):
    response = api.get("/definitions", as_=None, headers={"Authorization": f"bearer {tokens['dave']}"})
    assert response.status_code == 200


def test_authentication_comes_before_input_checks(api, counts):
    before = counts()
    _assert_401(api.post("/tasks/x/complete", as_=None, data="{not json", content_type="application/json"))
    _assert_401(api.get("/tasks?scope=everything", as_=None))
    _assert_401(api.post("/deployments", as_=None, data={"files": []}))
    assert counts() == before


def test_health_and_openapi_need_no_token(api):
    assert api.get("/health", as_=None).status_code == 200
    assert api.get("/openapi.json", as_=None).status_code == 200
