"""Every model of the BPMN MIWG test suite gets a verdict, never a traceback.

The corpus lives beside the repository (<clone>/../shared/corpus/miwg); each
file is loaded as a bundle of its own.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.bundle import Bundle, load_bundle, validate_files
from app.engine.problems import InvalidBundle, Problem

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "miwg"
FILES = sorted(CORPUS.glob("*/*.bpmn")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not FILES, reason=f"MIWG corpus not found at {CORPUS}")


def verdict(relative: str) -> list[Problem] | Bundle:
    path = CORPUS / relative
    files = {path.name: path.read_bytes()}
    try:
        return load_bundle(files)
    except InvalidBundle as exc:
        return exc.problems


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_gets_a_verdict(path: Path):
    files = {path.name: path.read_bytes()}
    problems = validate_files(files)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file == path.name and problem.line is not None and problem.message
    if not problems:
        assert load_bundle(files).processes


@needs_corpus
def test_the_corpus_is_all_there():
    assert len(FILES) == 63


@needs_corpus
@pytest.mark.parametrize("relative, line, element", [
    ("reference/A.1.0.bpmn", 3, "WFP-6-"),
    ("reference/B.2.0.bpmn", 5, "Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450"),   # has data stores too
    ("bpmn.io/C.8.0-roundtrip.bpmn", 5, "VacationRequestProcess"),
])
def test_descriptive_models_are_not_executable(relative, line, element):
    assert verdict(relative) == [Problem(
        relative.split("/")[-1], line, element,
        'no executable process: set isExecutable="true" on the process to run it')]


@needs_corpus
@pytest.mark.parametrize("relative, keys", [
    ("bpmn.io/A.4.0-export.bpmn", ["Process_0elb8rq"]),
    ("bpmn.io/C.2.0-export.bpmn", ["Process_1h3m6w5"]),
    ("reference/C.9.1.bpmn", ["requestDocument_en"]),
])
def test_executable_models_load(relative, keys):
    loaded = verdict(relative)
    assert isinstance(loaded, Bundle), loaded
    assert [m.key for m in loaded.processes] == keys


@needs_corpus
def test_camunda_model_reads_as_camunda():
    [model] = verdict("reference/C.9.1.bpmn").processes
    assert model.flavour == "camunda"


@needs_corpus
@pytest.mark.parametrize("relative, line, element, start", [
    ("bpmn.io/A.2.1-export.bpmn", 19, "Activity_172ndxy", "this activity has several outgoing sequence flows"),
    ("bpmn.io/B.1.0-export.bpmn", 15, "StartEvent_1", "the timer has no date, duration or cycle"),
    ("reference/C.3.0.bpmn", 244, "_cd6f230f-13c3-4027-aa3e-57de601a1ab2",
     "an embedded subprocess needs exactly one start event; this one has 0"),
    ("reference/C.9.0.bpmn", 280, "ServiceTask_GetCreditScore", "the service task names no hook"),
    ("reference/C.1.0.bpmn", 570, "archiveInvoice", "the service task names no hook"),
])
def test_executable_models_the_engine_refuses(relative, line, element, start):
    problems = verdict(relative)
    assert isinstance(problems, list)
    assert (problems[0].line, problems[0].element) == (line, element)
    assert problems[0].message.startswith(start)


@needs_corpus
def test_data_stores_in_executable_models_are_explained():
    problems = verdict("reference/C.4.0.bpmn")
    assert len(problems) == 4
    assert all("data stores are not supported" in p.message for p in problems)
