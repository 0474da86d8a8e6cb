"""POST /deployments: files or one zip, who may deploy, and every way an upload is refused."""
from __future__ import annotations

import io
import zipfile

import pytest

from tests.web.conftest import DATA, folder_files


def zip_of(entries: list[tuple[str, bytes]], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def _problems(response) -> list[dict]:
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_deployment"
    for problem in body["problems"]:
        assert set(problem) == {"file", "line", "element", "message"}
    return body["problems"]


def test_deploying_files_creates_version_1(api):
    response = api.deploy(folder_files("laptop"))
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["deployment_id"], int)
    assert body["definitions"] == [{"key": "laptop_request", "name": "Laptop request", "version": 1, "new": True}]


def test_deploying_the_same_files_again_changes_nothing(api, counts):
    first = api.deploy(folder_files("laptop")).get_json()
    before = counts()
    second = api.deploy(folder_files("laptop"))
    assert second.status_code == 201
    assert second.get_json()["definitions"] == [
        {"key": "laptop_request", "name": "Laptop request", "version": 1, "new": False}]
    assert second.get_json()["deployment_id"] is None
    assert first["definitions"][0]["version"] == 1
    assert counts() == before


def test_changed_content_gets_the_next_version(api):
    api.deploy(folder_files("laptop"))
    files = dict(folder_files("laptop"))
    files["review.uischema.json"] = b'{"ui:order": ["cost", "*"]}'
    response = api.deploy(list(files.items()), as_="admin")
    assert response.status_code == 201
    assert response.get_json()["definitions"][0] == {
        "key": "laptop_request", "name": "Laptop request", "version": 2, "new": True}


def test_a_zip_with_folders_is_flattened(api):
    archive = zip_of([("laptop/laptop_request.bpmn", (DATA / "laptop/laptop_request.bpmn").read_bytes()),
                      ("laptop/forms/review.schema.json", (DATA / "laptop/review.schema.json").read_bytes()),
                      ("laptop/forms/review.uischema.json", (DATA / "laptop/review.uischema.json").read_bytes()),
                      ("__MACOSX/laptop/._laptop_request.bpmn", b"\x00\x05\x16\x07")])
    response = api.deploy([("laptop.zip", archive)])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["definitions"][0]["key"] == "laptop_request"
    # The same content as loose files is the same version.
    again = api.deploy(folder_files("laptop"))
    assert again.get_json()["definitions"][0] == {
        "key": "laptop_request", "name": "Laptop request", "version": 1, "new": False}


def test_a_bundle_mixing_dialects_is_refused_with_the_place(api, counts):
    before = counts()
    problems = _problems(api.deploy(folder_files("laptop") + folder_files("expense")))
    assert any(p["file"] == "laptop_request.bpmn" and p["line"] and p["element"] for p in problems)
    assert counts() == before


@pytest.mark.parametrize("who", ["dave", "auditor", "alice"])
def test_only_owners_and_admins_deploy(api, who, counts):
    before = counts()
    response = api.deploy(folder_files("laptop"), as_=who)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert counts() == before


def test_a_user_cannot_make_the_server_unpack_a_zip(api):
    bomb = zip_of([("big.bpmn", b"\0" * (40 * 1024 * 1024))])
    assert api.deploy([("bomb.zip", bomb)], as_="dave").status_code == 403


def test_an_invalid_process_lists_its_problems_and_deploys_nothing(api, counts):
    before = counts()
    problems = _problems(api.deploy(folder_files("laptop") + [("dangling_flow.bpmn",
                                                               (DATA / "broken/dangling_flow.bpmn").read_bytes())]))
    assert any(p["file"] == "dangling_flow.bpmn" and isinstance(p["line"], int) and p["message"] for p in problems)
    assert counts() == before
    assert api.get("/definitions/laptop_request").status_code == 404


def test_malformed_xml_is_a_problem_with_its_line(api, counts):
    before = counts()
    problems = _problems(api.deploy([("truncated.bpmn", (DATA / "broken/truncated.bpmn").read_bytes())]))
    assert problems[0]["file"] == "truncated.bpmn"
    assert problems[0]["line"] == 6
    assert counts() == before


def test_a_missing_form_file_is_a_problem(api):
    problems = _problems(api.deploy([("laptop_request.bpmn", (DATA / "laptop/laptop_request.bpmn").read_bytes())]))
    assert any("review.schema.json" in p["message"] and p["element"] == "review" for p in problems)


def test_no_files(api):
    problems = _problems(api.post("/deployments", as_="owner", data={}, content_type="multipart/form-data"))
    assert problems[0]["message"] == "no files given"
    problems = _problems(api.post("/deployments", as_="owner", json={"files": []}))
    assert problems[0]["message"] == "no files given"


def test_files_of_other_kinds_are_refused(api):
    problems = _problems(api.deploy(folder_files("laptop") + [("notes.txt", b"hello"), ("run.sh", b"rm -rf /")]))
    assert {p["file"] for p in problems} == {"notes.txt", "run.sh"}


def test_duplicate_base_names_are_refused(api):
    schema = (DATA / "laptop/review.schema.json").read_bytes()
    archive = zip_of([("laptop_request.bpmn", (DATA / "laptop/laptop_request.bpmn").read_bytes()),
                      ("a/review.schema.json", schema), ("b/review.schema.json", schema)])
    problems = _problems(api.deploy([("laptop.zip", archive)]))
    assert problems[0]["file"] == "b/review.schema.json"
    assert "unique" in problems[0]["message"]
    problems = _problems(api.deploy(folder_files("laptop") + [("review.schema.json", schema)]))
    assert "unique" in problems[0]["message"]


@pytest.mark.parametrize("entry", ["../escape.bpmn", "/etc/passwd.bpmn", "a/../../b.json", "C:/x.bpmn",
                                   "..\\..\\evil.bpmn"])
def test_path_traversal_in_a_zip_is_refused(api, entry, counts):
    before = counts()
    archive = zip_of(folder_files("laptop") + [(entry, b"<x/>")])
    problems = _problems(api.deploy([("evil.zip", archive)]))
    assert any("unsafe path" in p["message"] for p in problems)
    assert counts() == before


def test_a_zip_bomb_is_refused(api, counts):
    before = counts()
    # 40 MiB of zeros compress to about 40 KiB; the limit is on what it unpacks to.
    bomb = zip_of(folder_files("laptop") + [("big.json", b"\0" * (40 * 1024 * 1024))])
    assert len(bomb) < 1024 * 1024
    problems = _problems(api.deploy([("bomb.zip", bomb)]))
    assert "MiB" in problems[0]["message"]
    assert counts() == before


def test_a_zip_whose_headers_lie_about_sizes_is_still_bounded(app, api):
    app.config["BATON_UPLOAD_MAX_BYTES"] = 100_000
    archive = bytearray(zip_of([("big.bpmn", b"<a/>" * 100_000)]))
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.find(signature) + offset
        archive[at:at + 4] = (10).to_bytes(4, "little")
    response = api.deploy([("liar.zip", bytes(archive))])
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_deployment"


def test_too_many_files_in_a_zip(app, api):
    app.config["BATON_UPLOAD_MAX_FILES"] = 5
    archive = zip_of([(f"form{i}.json", b"{}") for i in range(6)])
    problems = _problems(api.deploy([("many.zip", archive)]))
    assert "more than 5 files" in problems[0]["message"]


@pytest.mark.parametrize("upload", [
    [("broken.zip", b"PK\x03\x04 this is not really a zip")],
    [("empty.zip", b"")],
], ids=["garbage", "empty"])
def test_an_unreadable_zip_is_a_problem(api, upload):
    problems = _problems(api.deploy(upload))
    assert problems[0]["message"] == "not a readable zip archive"


def test_a_zip_together_with_files_is_refused(api):
    archive = zip_of(folder_files("laptop"))
    problems = _problems(api.deploy([("laptop.zip", archive)] + folder_files("expense")))
    assert "one zip" in problems[0]["message"]


def test_a_file_name_with_control_characters_is_refused(api, counts):
    before = counts()
    problems = _problems(api.deploy(folder_files("laptop") + [("bad\x00name.json", b"{}")]))
    assert "control characters" in problems[0]["message"]
    assert counts() == before


def test_text_that_is_not_utf8_is_a_problem(api):
    problems = _problems(api.deploy([("latin1.bpmn", "<?xml version='1.0'?><a>é</a>".encode("latin-1"))]))
    assert problems[0]["file"] == "latin1.bpmn"


def test_an_upload_larger_than_the_limit_is_413(app, api, counts):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    before = counts()
    response = api.deploy([("huge.bpmn", b" " * (2 * 1024 * 1024))])
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert counts() == before
