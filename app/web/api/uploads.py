"""The files of a deployment upload: several files, or one zip of them.

The result is a bundle ``{base name: bytes}``, as the deploy service takes it.
Folders inside a zip are flattened (forms are found by file name), so two
files with one base name are refused rather than one silently winning. The
archive is untrusted: its entry count and total uncompressed size are
bounded while reading (headers can lie), and entries with absolute or ``..``
paths are refused: such names only come from archives built to attack.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from flask import current_app

from app.engine.problems import Problem
from app.services.errors import InvalidDeployment

ALLOWED_SUFFIXES = (".bpmn", ".dmn", ".json")
DEFAULT_MAX_FILES = 200
DEFAULT_MAX_BYTES = 32 * 1024 * 1024   # uncompressed, all files together
_CHUNK = 64 * 1024


class _Limits:
    def __init__(self):
        self.max_files = int(current_app.config.get("BATON_UPLOAD_MAX_FILES", DEFAULT_MAX_FILES))
        self.max_bytes = int(current_app.config.get("BATON_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def bundle_from_uploads(uploads) -> dict[str, bytes]:
    """``uploads``: (file name, binary stream) pairs; the bundle, or InvalidDeployment."""
    limits = _Limits()
    uploads = list(uploads)
    problems: list[Problem] = []
    zips = [name for name, _ in uploads if _base_name(name).lower().endswith(".zip")]
    if zips and len(uploads) > 1:
        raise InvalidDeployment([Problem(zips[0], None, None,
                                         "send either files or one zip of them, not both or several zips")])
    if zips:
        name, stream = uploads[0]
        entries = _unzip(_base_name(name), stream.read(), limits, problems)
    else:
        entries = [(_base_name(name), name, stream.read()) for name, stream in uploads]
        if len(entries) > limits.max_files:
            problems.append(Problem("-", None, None, f"more than {limits.max_files} files"))
    bundle = _collect(entries, problems)
    if problems:
        raise InvalidDeployment(problems)
    return bundle


def _collect(entries, problems: list[Problem]) -> dict[str, bytes]:
    """Check each entry's name; ``entries`` are (base name, name as sent, content)."""
    bundle: dict[str, bytes] = {}
    sent_as: dict[str, str] = {}
    for base, original, content in entries:
        if not base:
            problems.append(Problem(original or "-", None, None, "a file has no name"))
        elif any(ord(char) < 32 for char in base):
            # File names are stored as text; databases refuse control characters such as NUL.
            problems.append(Problem(repr(original), None, None, "a file name holds control characters"))
        elif not base.lower().endswith(ALLOWED_SUFFIXES):
            problems.append(Problem(original, None, None,
                                    f"not a deployable file: use {', '.join(ALLOWED_SUFFIXES)} (or one .zip)"))
        elif base in bundle:
            problems.append(Problem(original, None, None,
                                    f"two files are named '{base}' ({sent_as[base]} and {original}); "
                                    "file names must be unique"))
        else:
            bundle[base] = content
            sent_as[base] = original
    return bundle


def _base_name(name: str | None) -> str:
    # Browsers and tools on Windows may send a full path with backslashes.
    return PurePosixPath((name or "").replace("\\", "/")).name


def _is_unsafe(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts or "\x00" in path


def _is_os_litter(path: str) -> bool:
    # Archives made on macOS carry resource forks and Finder files nobody meant to deploy.
    return path.startswith("__MACOSX/") or _base_name(path) == ".DS_Store"


def _unzip(zip_name: str, data: bytes, limits: _Limits, problems: list[Problem]):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir() and not _is_os_litter(i.filename)]
    except Exception:  # noqa: BLE001 — whatever breaks reading an untrusted archive is its fault
        problems.append(Problem(zip_name, None, None, "not a readable zip archive"))
        return []
    if len(infos) > limits.max_files:
        problems.append(Problem(zip_name, None, None, f"the archive holds more than {limits.max_files} files"))
        return []
    if sum(i.file_size for i in infos) > limits.max_bytes:
        problems.append(Problem(zip_name, None, None, _too_big(limits)))
        return []
    entries, budget = [], limits.max_bytes
    for info in infos:
        if _is_unsafe(info.filename):
            problems.append(Problem(zip_name, None, None, f"unsafe path in the archive: '{info.filename}'"))
            continue
        if info.flag_bits & 0x1:
            problems.append(Problem(info.filename, None, None, "encrypted entries are not supported"))
            continue
        try:
            content = _read_at_most(archive, info, budget)
        except Exception:  # noqa: BLE001 — corrupt data, bad CRC, unknown compression
            problems.append(Problem(info.filename, None, None, "cannot be read from the archive"))
            continue
        if content is None:
            problems.append(Problem(zip_name, None, None, _too_big(limits)))
            return []
        budget -= len(content)
        entries.append((_base_name(info.filename), info.filename, content))
    return entries


def _read_at_most(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | None:
    """The entry's content, or None once it passes ``budget`` bytes (a zip bomb)."""
    out = io.BytesIO()
    with archive.open(info) as entry:
        while chunk := entry.read(_CHUNK):
            if out.tell() + len(chunk) > budget:
                return None
            out.write(chunk)
    return out.getvalue()


def _too_big(limits: _Limits) -> str:
    return f"the files unpack to more than {limits.max_bytes // (1024 * 1024)} MiB"
