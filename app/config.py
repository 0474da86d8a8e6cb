"""Settings, read from the environment (``BATON_*``) with defaults that run."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def default_instance_path() -> Path:
    return Path(os.environ.get("BATON_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def settings_from_env(instance_path: Path) -> dict:
    database_url = os.environ.get("BATON_DATABASE_URL") or f"sqlite:///{instance_path / 'baton.sqlite'}"
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A random key means sessions do not survive a restart; real deployments set one.
        "SECRET_KEY": os.environ.get("BATON_SECRET_KEY") or secrets.token_hex(32),
        # A task form or a deployment bigger than this is refused before it is read.
        "MAX_CONTENT_LENGTH": int(os.environ.get("BATON_MAX_UPLOAD_BYTES", 16 * 1024 * 1024)),
        "BATON_SCRIPT_TIMEOUT": float(os.environ.get("BATON_SCRIPT_TIMEOUT", "2")),
        # How long a recognised API token is trusted without asking the database again
        # (a revocation by another process takes effect within this time).
        "BATON_TOKEN_CACHE_SECONDS": float(os.environ.get("BATON_TOKEN_CACHE_SECONDS", "10")),
        # How long a worker owns a job it claimed: a worker that dies mid-job loses it after this.
        # Longer than any hook may take (the http hook stops at 60 s).
        "BATON_JOB_LEASE_SECONDS": float(os.environ.get("BATON_JOB_LEASE_SECONDS", "300")),
        # How long an idle worker waits before looking for new jobs (it wakes earlier for a job it knows is due).
        "BATON_WORKER_POLL_SECONDS": float(os.environ.get("BATON_WORKER_POLL_SECONDS", "1")),
        # Where the notify hook sends email: smtp[s]://[user:password@]host[:port][?from=...&starttls=1].
        "BATON_SMTP_URL": os.environ.get("BATON_SMTP_URL", ""),
        # The browser session: HttpOnly, never sent along by another site's forms, and behind
        # HTTPS (BATON_SECURE_COOKIES=1) sent over HTTPS only.
        "SESSION_COOKIE_NAME": "baton_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("BATON_SECURE_COOKIES") == "1",
    }
