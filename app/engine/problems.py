"""Problems found in a bundle, reported as ``file:line: element: message``."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element: str | None
    message: str

    def __str__(self) -> str:
        line = self.line if self.line is not None else "?"
        element = self.element or "-"
        return f"{self.file}:{line}: {element}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class InvalidBundle(Exception):
    """A bundle that cannot be deployed; ``problems`` says why, all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
