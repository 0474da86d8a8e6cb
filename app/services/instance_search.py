"""Finding cases for the admins' Instances page: a filter read from a form,
the page of cases it matches (newest first), and all the ids it matches (what
a bulk action works through).

Filters: the process (key), its version, the status, text in the business
key, the day started (from, to, both included, in UTC), and one variable of
the case's data equal to a value, compared as text (``5`` matches the number
5, ``true`` the boolean) on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.database import is_postgres
from app.models import Instance, User, db
from app.models.instances import STATUSES

from . import definitions, permissions
from .definitions import ProcessVersions
from .errors import InvalidData

PER_PAGE = 50
MAX_TEXT = 200
MAX_VERSION = 2_147_483_647
# A variable name as scripts write it: the JSON path is built from it.
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
MAX_PAGE_DIGITS = 9


@dataclass(frozen=True)
class InstanceFilter:
    process: str = ""
    version: int | None = None
    status: str = ""
    business_key: str = ""        # contained in the business key, any case
    started_from: date | None = None
    started_to: date | None = None
    variable: str = ""
    value: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> "InstanceFilter":
        """The filter in a GET form's fields (all optional); InvalidData names
        each field that does not hold what it should."""
        errors: dict[str, list[str]] = {}

        def text(name: str, strip: bool = True) -> str:
            value = form.get(name) or ""
            value = value.strip() if strip else value
            if len(value) > MAX_TEXT:
                errors[name] = [f"At most {MAX_TEXT} characters."]
            elif "\x00" in value:   # no text column holds one (PostgreSQL refuses it in a query)
                errors[name] = ["Must not contain a NUL character."]
            return value

        status = text("status")
        if status and status not in STATUSES:
            errors["status"] = [f"Not a status: choose one of {', '.join(STATUSES)}."]
        variable, value = text("variable"), text("value", strip=False)
        if variable and not PLAIN_NAME.fullmatch(variable):
            errors["variable"] = ["A variable name is letters, digits and _, not starting with a digit."]
        elif value and not variable:
            errors["variable"] = ["Name the variable whose value to look for."]
        found = cls(process=text("process"), version=_version(form.get("version"), errors), status=status,
                    business_key=text("business_key"), started_from=_day(form, "started_from", errors),
                    started_to=_day(form, "started_to", errors), variable=variable, value=value if variable else "")
        if found.started_from and found.started_to and found.started_to < found.started_from:
            errors.setdefault("started_to", ["Must not be before the first day."])
        if errors:
            raise InvalidData(errors, "Some filters are not valid.")
        return found

    def args(self) -> dict[str, str]:
        """The filter as form fields again (the empty ones left out)."""
        return {k: (v.isoformat() if isinstance(v, date) else str(v))
                for k, v in asdict(self).items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.args())


def _version(raw: str | None, errors: dict) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_VERSION:
        errors["version"] = ["A version is a whole number from 1."]
        return None
    return int(raw)


def _day(form: Mapping[str, str], name: str, errors: dict) -> date | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:       # fromisoformat also reads 20260101 and week dates
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [f"“{raw[:40]}” is not a date: write it as YYYY-MM-DD."]
        return None


@dataclass(frozen=True)
class InstancePage:
    rows: list[Instance]          # with open_incidents loaded
    total: int
    page: int
    pages: int
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class SearchForm:
    """The Instances page: the filter as read, what is wrong with it, the cases."""
    filters: InstanceFilter
    errors: dict[str, list[str]]
    page: InstancePage | None        # None when the filter is not valid
    processes: list[ProcessVersions]


def search_form(caller: User, form: Mapping[str, str], page: int = 1) -> SearchForm:
    """The page of cases a GET form's filter matches, with the form's choices
    (admins and auditors); a filter that is not valid finds nothing."""
    _require_reader(caller)
    choices = processes(caller)
    try:
        filters = InstanceFilter.from_form(form)
    except InvalidData as invalid:
        return SearchForm(InstanceFilter(), invalid.fields, None, choices)
    return SearchForm(filters, {}, search(caller, filters, page), choices)


def search(caller: User, filters: InstanceFilter, page: int = 1) -> InstancePage:
    """One page of the cases the filter matches, newest first (admins and auditors)."""
    _require_reader(caller)
    where = _conditions(filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Instance).where(*where)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    rows = list(db.session.scalars(
        sa.select(Instance).where(*where).options(selectinload(Instance.open_incidents))
        .order_by(Instance.started_at.desc(), Instance.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return InstancePage(rows=rows, total=total, page=page, pages=pages)


def matching_ids(caller: User, filters: InstanceFilter) -> list[int]:
    """Every case the filter matches, oldest first (the order a bulk action takes them in)."""
    _require_reader(caller)
    return list(db.session.scalars(sa.select(Instance.id).where(*_conditions(filters)).order_by(Instance.id)))


def processes(caller: User) -> list[ProcessVersions]:
    """The deployed processes, by name, with their versions: the form's choices."""
    _require_reader(caller)
    return definitions.with_versions()


def page_number(raw: str | None) -> int:
    """A ?page= value read leniently: anything that is not a number is page 1."""
    if not raw or not (raw.isascii() and raw.isdigit()):
        return 1
    return int(raw[:MAX_PAGE_DIGITS]) or 1


def _require_reader(caller: User) -> None:
    if not permissions.reads_everything(caller):
        raise permissions.Forbidden("The list of all cases is for admins and auditors.")


def _conditions(f: InstanceFilter) -> list:
    where = []
    if f.process:
        where.append(Instance.definition_key == f.process)
    if f.version is not None:
        where.append(Instance.definition_version == f.version)
    if f.status:
        where.append(Instance.status == f.status)
    if f.business_key:
        where.append(sa.func.lower(Instance.business_key).contains(f.business_key.lower(), autoescape=True))
    if f.started_from:
        where.append(Instance.started_at >= _midnight(f.started_from))
    if f.started_to:
        where.append(Instance.started_at < _midnight(f.started_to + timedelta(days=1)))
    if f.variable:
        where.append(_variable_as_text(f.variable) == f.value)
    return where


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _variable_as_text(name: str):
    """The variable's JSON value as text, as PostgreSQL's ``->>`` gives it.
    SQLite's json_extract gives numbers as numbers (never equal to text) and
    booleans as 1 and 0, so there they are turned into the same text."""
    if is_postgres():
        return Instance.data[name].as_string()
    path = f"$.{name}"       # a plain name (PLAIN_NAME) needs no quoting
    kind = sa.func.json_type(Instance.data, path)
    return sa.case((kind == "true", "true"), (kind == "false", "false"),
                   else_=sa.cast(sa.func.json_extract(Instance.data, path), sa.Text))
