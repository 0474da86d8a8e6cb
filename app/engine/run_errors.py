"""What a WorkflowRun refuses (runtime.py re-exports these)."""
from __future__ import annotations


class TaskNotReady(Exception):
    """The task does not exist, is not a human task, or is not READY."""


class RunNotActive(Exception):
    """The run has completed or failed; nothing can be completed in it."""
