"""Errors in the API definitions, each pointing at the file, key and line to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from emulator.model import Location

#: How far a note sits under its error, so a list of errors still reads one error per unindented line.
NOTE_INDENT = "    "
HINT = "hint: "


@dataclass(frozen=True)
class ConfigError:
    """One problem in the definitions; ``str()`` is what the user is shown.

    ``notes`` are lines under it: a hint at the fix, or the user's own traceback for a handler that
    fails to import.
    """

    location: Location
    message: str
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join([f"{self.location}: {self.message}", *(NOTE_INDENT + note for note in self.notes)])


class ConfigErrors(Exception):
    """Every problem found in one load, raised together so a single run shows all that needs fixing."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors: list[ConfigError] = in_order(errors)
        count = len(self.errors)
        heading = f"{count} error{'' if count == 1 else 's'} in the API definitions:"
        super().__init__("\n".join([heading, *described(self.errors)]))


class ConfigWarning(UserWarning):
    """A definition API Gateway would accept with a warning, as the test helpers report it.

    ``filterwarnings = error::emulator.config.ConfigWarning`` in pytest's configuration makes them fail.
    """


#: The note a warning carries once ``--fail-on-warnings`` (or the pytest option) made it an error.
FAILED_WARNING_NOTE = (
    "(a warning, made an error by fail-on-warnings, as AWS's import with failonwarnings=true)"
)


def warnings_report(warnings: Iterable[ConfigError]) -> str:
    """``N warnings in the API definitions:`` and each, in file and line order, as errors are listed."""
    listed = in_order(warnings)
    count = len(listed)
    return "\n".join(
        [f"{count} warning{'' if count == 1 else 's'} in the API definitions:", *described(listed)]
    )


def settle(
    errors: list[ConfigError], warnings: list[ConfigError], *, fail_on_warnings: bool
) -> tuple[list[ConfigError], list[ConfigError]]:
    """The errors and warnings to report: with ``fail_on_warnings``, every warning is an error too."""
    if not fail_on_warnings or not warnings:
        return errors, warnings
    failed = [replace(warning, notes=(*warning.notes, FAILED_WARNING_NOTE)) for warning in warnings]
    return [*errors, *failed], []


def in_order(errors: Iterable[ConfigError]) -> list[ConfigError]:
    """By file, then line: the order a user fixes them in."""
    return sorted(errors, key=lambda error: (error.location.file, error.location.line or 0))


def described(errors: list[ConfigError]) -> list[str]:
    """Each error's text, a hint given once already referring back to it.

    Twenty handlers missing under a wrong code root need the hint about the code root once, not
    twenty times.
    """
    first: dict[str, Location] = {}
    texts: list[str] = []
    for error in errors:
        notes = []
        for note in error.notes:
            if note.startswith(HINT) and note in first:
                notes.append(f"{HINT}as for {_where(first[note], error.location)}")
                continue
            if note.startswith(HINT):
                first[note] = error.location
            notes.append(note)
        texts.append(str(ConfigError(error.location, error.message, tuple(notes))))
    return texts


def _where(earlier: Location, this: Location) -> str:
    if earlier.file == this.file and earlier.line is not None:
        return f"line {earlier.line}"
    return earlier.file if earlier.line is None else f"{earlier.file}:{earlier.line}"
