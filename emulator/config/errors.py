"""Errors in the API definitions, each pointing at the file, key and line to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.model import Location


@dataclass(frozen=True)
class ConfigError:
    """One problem in the definitions; ``str()`` is the line shown to the user."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ConfigErrors(Exception):
    """Every problem found in one load, raised together so a single run shows all that needs fixing."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors: list[ConfigError] = sorted(
            errors, key=lambda error: (error.location.file, error.location.line or 0)
        )
        count = len(self.errors)
        heading = f"{count} error{'' if count == 1 else 's'} in the API definitions:"
        super().__init__("\n".join([heading, *(str(error) for error in self.errors)]))
