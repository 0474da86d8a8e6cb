"""Limits on free-form data (start data and task data where no form applies)."""
from __future__ import annotations

import json
from typing import Any

MAX_BYTES = 1_000_000
MAX_DEPTH = 20


def check_payload(data: Any) -> dict[str, list[str]]:
    """Errors in the ``fields`` shape, or {} when the data is acceptable."""
    if not isinstance(data, dict):
        return {"_form": ["The data must be a JSON object."]}
    if _depth(data, 0) > MAX_DEPTH:
        return {"_form": [f"The data is nested deeper than {MAX_DEPTH} levels."]}
    try:
        size = len(json.dumps(data))
    except (TypeError, ValueError):
        return {"_form": ["The data must be plain JSON."]}
    if size > MAX_BYTES:
        return {"_form": [f"The data is larger than {MAX_BYTES} bytes."]}
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier() or k.startswith("_")]
    if bad:
        return {str(k): ["Field names must be identifiers that do not start with '_'."] for k in bad[:20]}
    return {}


def _depth(value: Any, level: int) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level
