"""A process version's documentation as data, and what changed between two
versions: ``describe(files, bpmn_file, key, meta)`` -> ``ProcessDoc``,
``diff(old, new, key, from_version, to_version)`` -> ``VersionDiff``.

Pure engine code (no Flask, no SQLAlchemy); services/documentation.py reads
the versions and checks who may see them."""
from __future__ import annotations

from .describe import describe
from .diff import diff
from .model import (
    Change, DecisionRule, DecisionTable, Flow, FormField, Hook, Lane, OutgoingFlow, ProcessDoc, Step, Timer,
    VersionDiff,
)

__all__ = ["describe", "diff", "Change", "DecisionRule", "DecisionTable", "Flow", "FormField", "Hook", "Lane",
           "OutgoingFlow", "ProcessDoc", "Step", "Timer", "VersionDiff"]
