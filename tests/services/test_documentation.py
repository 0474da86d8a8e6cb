"""Process documentation as a service: who may read it, versions, and what changed."""
from __future__ import annotations

import pytest

from app.services import documentation
from app.services.errors import Forbidden, InvalidData, NotFound
from tests.support.bpmn import linear_process, user


@pytest.fixture
def two_versions(deploy):
    """Process "docs" twice: version 2 renames the review step and gives it a candidate group."""
    deploy({"docs.bpmn": linear_process("docs", user("review", "Review"), name="Docs")})
    deploy({"docs.bpmn": linear_process("docs", user("review", "Review request", camunda_candidateGroups="desk"),
                                        name="Docs")})


def test_owners_and_auditors_read_plain_users_may_not(two_versions, make_user):
    for reader in (make_user("olga", role="owner"), make_user("aud", role="auditor")):
        version, doc = documentation.version_doc("docs", 2, reader)
        assert version.version == 2
        assert [s.id for s in doc.steps] == ["start", "review", "end"]
        assert doc.step("review").who == "candidate groups: desk"
    ann = make_user("ann")
    for read in (lambda: documentation.version_doc("docs", 1, ann), lambda: documentation.history("docs", ann),
                 lambda: documentation.processes(ann), lambda: documentation.compare("docs", 1, 2, ann)):
        with pytest.raises(Forbidden, match="owners, auditors and admins"):
            read()


def test_unknown_processes_and_versions_and_bad_pairs(two_versions, make_user):
    auditor = make_user("aud", role="auditor")
    for read in (lambda: documentation.version_doc("nope", 1, auditor),
                 lambda: documentation.version_doc("docs", 3, auditor),
                 lambda: documentation.history("nope", auditor),
                 lambda: documentation.compare("docs", 1, 7, auditor)):
        with pytest.raises(NotFound):
            read()
    with pytest.raises(InvalidData, match="itself"):
        documentation.compare("docs", 2, 2, auditor)
    with pytest.raises(InvalidData) as refused:
        documentation.compare("docs", 0, 2, auditor)
    assert refused.value.fields == {"from": ["Versions are numbered from 1, got 0."]}


def test_history_the_list_of_processes_and_the_cache(two_versions, deploy, make_user):
    deploy({"other.bpmn": linear_process("other", user("task", "Task"))})
    auditor = make_user("aud", role="auditor")
    assert [v.version for v in documentation.history("docs", auditor)] == [1, 2]
    assert [(v.key, v.version, n) for v, n in documentation.processes(auditor)] == [("docs", 2, 2), ("other", 1, 1)]
    # A version never changes: its documentation is built once.
    assert documentation.version_doc("docs", 1, auditor)[1] is documentation.version_doc("docs", 1, auditor)[1]


def test_compare_two_versions(two_versions, make_user):
    older, newer, changes = documentation.compare("docs", 1, 2, make_user("aud", role="auditor"))
    assert (older.version, newer.version) == (1, 2)
    assert [(c.kind, c.area, c.element_id, c.detail) for c in changes.changes] == [
        ("changed", "step", "review", "name: Review → Review request"),
        ("changed", "step", "review", "who: (the lane decides) → candidate groups: desk")]
    assert changes.marks_after() == changes.marks_before() == {"review": "changed"}
