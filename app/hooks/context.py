"""What a hook knows about the call it is serving, besides its parameters."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from .errors import HookFailed

# Environment variables named BATON_SECRET_<NAME> give the secret <NAME>.
SECRET_ENV_PREFIX = "BATON_SECRET_"
# BATON_SECRET_KEY is Flask's session key, not a hook secret: were it read as the
# secret "KEY", any deployed diagram could send it to any URL with auth_secret.
NOT_HOOK_SECRETS = frozenset({"BATON_SECRET_KEY"})


def secret_name(name: str) -> str:
    """Secret names are case-insensitive, since environment variables are
    upper-case by custom and diagram authors should not have to know that."""
    return name.strip().upper()


def hook_secrets(configured: Mapping[str, str] | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The secrets hooks may use: the app's ``BATON_HOOK_SECRETS`` mapping, then
    ``BATON_SECRET_<NAME>`` environment variables, which win, so an operator can
    override a configured value without editing configuration files."""
    secrets = {secret_name(name): str(value) for name, value in (configured or {}).items()}
    for variable, value in environ.items():
        if variable.startswith(SECRET_ENV_PREFIX) and variable not in NOT_HOOK_SECRETS:
            name = variable[len(SECRET_ENV_PREFIX):]
            if name:
                secrets[secret_name(name)] = value
    return secrets


@dataclass(frozen=True, kw_only=True)
class HookContext:
    """One attempt at one service task. ``now`` is the injected clock's time
    (hooks must not read the wall clock, so tests can move time); ``attempt``
    counts from 1."""

    instance_id: int | str
    task_id: str
    element: str
    attempt: int = 1
    now: datetime
    # Kept out of repr and comparisons so a logged context never shows a secret.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if self.attempt < 1:
            raise ValueError(f"attempt counts from 1, got {self.attempt}")
        # A read-only copy: the worker's mapping may change after the call starts,
        # and a hook must not be able to change what the next hook sees.
        normalised = {secret_name(name): str(value) for name, value in self.secrets.items()}
        object.__setattr__(self, "secrets", MappingProxyType(normalised))

    def secret(self, name: str) -> str:
        """The value of secret ``name``. A missing secret is a configuration
        mistake that a retry will not fix, hence not retryable."""
        if not isinstance(name, str) or not name.strip():
            raise HookFailed("a secret name must be a non-empty string", retryable=False)
        try:
            return self.secrets[secret_name(name)]
        except KeyError:
            raise HookFailed(
                f"secret {name!r} is not configured: set it in BATON_HOOK_SECRETS "
                f"or the environment variable {SECRET_ENV_PREFIX}{secret_name(name)}",
                retryable=False,
            ) from None
