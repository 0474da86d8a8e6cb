"""A deployed process as a graph: its flow nodes and sequence flows, read from
the version's BPMN XML.

Pages use it to draw the flows a case took and to guess how much of the way
is left. SpiffWorkflow's restored spec knows the steps but not the sequence
flows' ids (bpmn-js marks those), so the XML is read once more here, with the
same safe parser the deployment used. A version never changes: each one is
parsed once and kept, keyed by content (row ids repeat across databases).
"""
from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from app.engine.bpmn_kinds import ACTIVITIES, CONTAINERS as _CONTAINERS, FLOW_NODES
from app.engine.xml import BPMN_NS, parse_xml
from app.models import DefinitionVersion, db

from .version_cache import VersionCache

log = logging.getLogger(__name__)

_CACHE_SIZE = 256



@dataclass(frozen=True)
class Node:
    id: str
    kind: str                  # the BPMN element's name: "userTask", "exclusiveGateway", ...
    name: str                  # its label, or its id when it has none
    parent: str | None = None  # the sub-process it sits in


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str


@dataclass(frozen=True)
class ProcessGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: tuple[Flow, ...] = ()

    @cached_property
    def _outgoing(self) -> dict[str, list[str]]:
        outgoing: dict[str, list[str]] = {}
        for flow in self.flows:
            outgoing.setdefault(flow.source, []).append(flow.target)
        return outgoing

    def is_activity(self, node_id: str) -> bool:
        node = self.nodes.get(node_id)
        return node is not None and node.kind in ACTIVITIES

    def flows_taken(self, completed: Iterable[str], reached: Iterable[str]) -> tuple[str, ...]:
        """The sequence flows whose source step completed and whose target step
        was reached (completed, waiting or failed), in the file's order.

        The trail records steps, not flows, so this is read off the steps: a
        gateway's branch not chosen leads to a step never reached and stays
        unmarked. (Two completed steps joined by a flow that happened not to
        carry the token, e.g. in a loop, are marked too; rare, and harmless.)
        """
        completed, reached = set(completed), set(reached)
        return tuple(f.id for f in self.flows if f.source in completed and f.target in reached)

    def steps_left(self, current: Iterable[str]) -> int | None:
        """About how many activities remain: from each current step, the fewest
        on the way to an end (the current one included), and the most of those,
        since every branch must finish. None when no current step is drawn here."""
        distances = [d for d in (self._shortest_to_end(step) for step in set(current)) if d is not None]
        return max(distances) if distances else None

    def _shortest_to_end(self, start: str) -> int | None:
        if start not in self.nodes:
            return None
        outgoing = self._outgoing
        # Dijkstra with activities weighing one and everything else nothing.
        queue = [(1 if self.is_activity(start) else 0, start)]
        best = {start: queue[0][0]}
        while queue:
            cost, node_id = heapq.heappop(queue)
            if cost > best.get(node_id, cost):
                continue
            node = self.nodes.get(node_id)
            if node is None:
                continue
            if node.kind == "endEvent" and node.parent is None:
                return cost
            nexts = [(t, cost + (1 if self.is_activity(t) else 0)) for t in outgoing.get(node_id, ())]
            if node.kind == "endEvent" and node.parent is not None:
                # The end of a sub-process the case is inside: the sub-process
                # finishes (one more step) and the way goes on from it.
                nexts = [(node.parent, cost + 1)]
            for target, total in nexts:
                if target not in best or total < best[target]:
                    best[target] = total
                    heapq.heappush(queue, (total, target))
        return None


_EMPTY = ProcessGraph()
_cache: VersionCache[ProcessGraph] = VersionCache(_CACHE_SIZE)


def graph_for(version: DefinitionVersion) -> ProcessGraph:
    return graphs_for([version])[version.id]


def graphs_for(versions: Iterable[DefinitionVersion]) -> dict[int, ProcessGraph]:
    """Each version's graph by its id: one query for the versions not parsed yet, none otherwise."""
    keys = {v.id: (v.content_hash, v.bpmn_file) for v in versions}
    found = {version_id: graph for version_id, key in keys.items() if (graph := _cache.get(key)) is not None}
    missing = [version_id for version_id in keys if version_id not in found]
    if missing:
        # The files are a deferred column: read only those of the missing versions.
        rows = db.session.execute(sa.select(DefinitionVersion.id, DefinitionVersion.files)
                                  .where(DefinitionVersion.id.in_(missing)))
        for row in rows:
            key = keys[row.id]
            found[row.id] = _cache.put(key, parse_graph(key[1], (row.files or {}).get(key[1], "")))
    return {version_id: found.get(version_id, _EMPTY) for version_id in keys}


def parse_graph(file: str, xml: str) -> ProcessGraph:
    """The flow nodes and sequence flows of one BPMN file; an empty graph if it
    cannot be read (it was valid when deployed, so that would be a stored fault,
    and a page must still show the case)."""
    tree, problems = parse_xml(file, xml.encode("utf-8"))
    if tree is None:
        log.warning("cannot read the flows of %s: %s", file, problems[0] if problems else "no content")
        return _EMPTY
    bpmn = f"{{{BPMN_NS}}}"
    nodes: dict[str, Node] = {}
    flows: list[Flow] = []
    for element in tree.getroot().iter(f"{bpmn}*"):
        kind = element.tag[len(bpmn):]
        element_id = element.get("id")
        if not element_id:
            continue
        if kind == "sequenceFlow":
            if element.get("sourceRef") and element.get("targetRef"):
                flows.append(Flow(element_id, element.get("sourceRef"), element.get("targetRef")))
        elif kind in FLOW_NODES:
            nodes[element_id] = Node(element_id, kind, (element.get("name") or "").strip() or element_id,
                                     _container_of(element, bpmn))
    return ProcessGraph(nodes, tuple(flows))


def _container_of(element, bpmn: str) -> str | None:
    for ancestor in element.iterancestors():
        if ancestor.tag.startswith(bpmn) and ancestor.tag[len(bpmn):] in _CONTAINERS:
            return ancestor.get("id")
    return None
