"""Gathering a bundle's files from disk: a process folder under bpmn/ plus its
forms under forms/ (``bpmn/incident/`` ↔ ``forms/incident/``)."""
from __future__ import annotations

from pathlib import Path

BUNDLE_SUFFIXES = (".bpmn", ".dmn", ".json")


def _forms_folder(process_folder: Path) -> Path | None:
    for base in (process_folder.parent.parent, Path.cwd()):
        candidate = base / "forms" / process_folder.name
        if candidate.is_dir():
            return candidate
    return None


def collect_bundle(path: Path) -> dict[str, bytes]:
    """The files of one bundle: a folder's BPMN/DMN/JSON files, or a single file
    with the DMN and JSON files beside it, plus the matching forms folder."""
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    if path.is_dir():
        members = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in BUNDLE_SUFFIXES]
    else:
        members = [path] + [p for p in sorted(folder.iterdir())
                            if p.suffix.lower() in (".dmn", ".json") and p != path]
    forms = _forms_folder(folder)
    if forms is not None:
        members += [p for p in sorted(forms.iterdir()) if p.suffix.lower() == ".json"]
    return {p.name: p.read_bytes() for p in members if p.is_file()}
