"""The service catalogue: what a person can ask for, and the form to ask with.

Every process a person may start (its latest version, with a plain start
event) is a service, listed under its category. The categories of the shipped
library (PROCESSES.md) come first, in their own order, so the catalogue reads
the same everywhere; any other category follows alphabetically, and services
without one close the list under "Other services".

Auditors see the catalogue and every start form, but start nothing
(``may_start``); ``instances.start_instance`` refuses them as well.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.engine.model import Form
from app.models import DefinitionVersion, User, db

from . import permissions, queries
from .errors import NotFound
from .processes import load_process

CATEGORY_ORDER = ("Incidents & problems", "Changes & releases", "People", "Assets & software", "Knowledge",
                  "Cases")
OTHER_SERVICES = "Other services"
SUMMARY_LIMIT = 160   # characters of the one-line description on a card
ELLIPSIS = "…"

_CANONICAL = {name.casefold(): name for name in (*CATEGORY_ORDER, OTHER_SERVICES)}
# A sentence ends at . ! or ? followed by a space; "e.g. " and the like do not end one.
_SENTENCE_END = re.compile(r"(?<![Ee]\.g\.)(?<![Ii]\.e\.)(?<=[.!?])\s+")


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    summary: str          # the documentation's first sentence, cut to SUMMARY_LIMIT
    version: int
    has_form: bool
    category: str         # as shown: a heading of the catalogue
    description: str = field(default="", repr=False)   # in full, for the text filter

    def matches(self, words: list[str]) -> bool:
        """Every word somewhere in the name or the description (casefolded)."""
        text = f"{self.name}\n{self.description}".casefold()
        return all(word in text for word in words)


@dataclass(frozen=True)
class Category:
    name: str
    services: list[Service]


@dataclass(frozen=True)
class Catalogue:
    categories: list[Category]   # only the non-empty ones, in catalogue order
    total: int                   # services before the text filter
    may_start: bool              # False for auditors: they read, and start nothing

    @property
    def shown(self) -> int:
        return sum(len(c.services) for c in self.categories)


@dataclass(frozen=True)
class StartForm:
    """What the start page of one service shows."""

    key: str
    name: str
    description: str     # the process's documentation in full
    category: str
    version: int
    form: Form | None    # None: the service starts without questions
    refusal: str | None  # why the caller may not start it; None: they may

    @property
    def may_start(self) -> bool:
        return self.refusal is None


def services_for(caller: User, search: str = "") -> Catalogue:
    """The latest version of every startable process the caller may start (all
    of them for those who read everything), grouped by category.
    ``search``: only services whose name or description holds every word of it."""
    rows = db.session.execute(_LATEST_STARTABLE)
    everything = permissions.reads_everything(caller)
    services = [_service(row) for row in rows
                if everything or permissions.start_refusal(caller, row.starters) is None]
    words = search.casefold().split()
    # Filtered here rather than in SQL: SQLite's lower() folds ASCII only, and
    # the catalogue is one short list anyway.
    shown = [s for s in services if s.matches(words)] if words else services
    return Catalogue(categories=_grouped(shown), total=len(services),
                     may_start=permissions.start_refusal(caller, None) is None)


def start_form_for(key: str, caller: User) -> StartForm:
    """The latest version of a service with its start form; NotFound when there is
    no such process or it is not started by people (a message or timer starts it)."""
    version = queries.definition(db.session(), key, None)
    if version is None or not version.startable:
        raise NotFound(f"There is no service '{key}' in the catalogue.")
    process = load_process(version)
    return StartForm(key=version.key, name=version.name, description=version.description or "",
                     category=_category_name(version.category), version=version.version,
                     form=process.start_form, refusal=permissions.start_refusal(caller, process.starters))


def one_line(description: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first sentence of a description, at most ``limit`` characters: a longer
    one is cut at a word and ends with an ellipsis."""
    first_paragraph = re.split(r"\n\s*\n", description.strip(), maxsplit=1)[0]
    text = " ".join(first_paragraph.split())
    sentence = _SENTENCE_END.split(text, 1)[0]
    if len(sentence) <= limit:
        return sentence
    room = limit - len(ELLIPSIS)
    # One character more than fits shows whether the last word ends right there.
    cut = sentence[:room + 1]
    cut = cut[:cut.rindex(" ")] if " " in cut else cut[:room]   # one endless word: cut it anyway
    return cut.rstrip(" ,;:–—-") + ELLIPSIS



# One query: the latest version of every key (a grouped subquery), kept only
# when that version is startable, so a process whose newest version starts on
# a message leaves the catalogue. Only the columns a card needs; the big
# deferred ones stay in the database, and whether there is a start form is
# asked of the JSON (->> is NULL for a JSON null on PostgreSQL as on SQLite).
_NEWEST = (sa.select(DefinitionVersion.key, sa.func.max(DefinitionVersion.version).label("version"))
           .group_by(DefinitionVersion.key).subquery("newest"))
_LATEST_STARTABLE = (
    sa.select(DefinitionVersion.key, DefinitionVersion.name, DefinitionVersion.description,
              DefinitionVersion.category, DefinitionVersion.version,
              DefinitionVersion.meta["start_form"].as_string().is_not(None).label("has_form"),
              DefinitionVersion.meta["starters"].label("starters"))
    .join(_NEWEST, sa.and_(DefinitionVersion.key == _NEWEST.c.key,
                           DefinitionVersion.version == _NEWEST.c.version))
    .where(DefinitionVersion.startable.is_(True))
)


def _service(row) -> Service:
    description = row.description or ""
    return Service(key=row.key, name=row.name or row.key, summary=one_line(description), version=row.version,
                   has_form=bool(row.has_form), category=_category_name(row.category), description=description)


def _category_name(category: str | None) -> str:
    """The heading a category is shown under: the library's spelling of its own
    categories whatever the case, "Other services" for none."""
    name = " ".join((category or "").split())
    return _CANONICAL.get(name.casefold(), name) if name else OTHER_SERVICES


def _grouped(services: list[Service]) -> list[Category]:
    # "Facilities" and "facilities" are one heading, not two that look alike;
    # it takes the spelling that sorts first, so it does not change from one
    # page load to the next.
    groups: dict[str, list[Service]] = {}
    for service in services:
        groups.setdefault(service.category.casefold(), []).append(service)
    categories = [Category(min(s.category for s in members),
                           sorted(members, key=lambda s: (s.name.casefold(), s.key)))
                  for members in groups.values()]
    return sorted(categories, key=lambda c: _category_rank(c.name))


def _category_rank(name: str) -> tuple:
    if name in CATEGORY_ORDER:
        return (0, CATEGORY_ORDER.index(name), "")
    if name == OTHER_SERVICES:
        return (2, 0, "")
    return (1, 0, name.casefold())
