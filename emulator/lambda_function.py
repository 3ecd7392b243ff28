"""A Lambda function as the model holds it, and where a definition came from (``emulator.model``'s).

A module of its own because a worker process needs exactly these: it unpickles its ``Function`` at
every cold start, and importing the whole model there (two dozen dataclasses, each built at import)
was a fifth of a worker's start-up. ``emulator.model`` re-exports both; the rest of the code imports
them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a definition came from, so every error can point at it."""

    file: str
    key_path: str = ""
    line: int | None = None
    #: Only where the line alone would not do: a YAML syntax error, found at one character.
    column: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.key_path}" if self.key_path else where


NOWHERE = Location("<memory>")


#: Execution environments per function unless its ``concurrency`` says otherwise: enough to keep the
#: gateway busy (one process serves one request at a time), few enough to start quickly on a laptop.
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class Function:
    """A Lambda function: its handler and the settings Lambda reports to it."""

    name: str
    #: ``package.module.function`` as Lambda writes it.
    handler: str
    code_dir: Path
    timeout: float = 3.0
    memory: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    location: Location = NOWHERE
    #: How many requests it serves at once, each in an execution environment of its own (Lambda's
    #: reserved concurrency); more wait briefly, then are throttled.
    concurrency: int = DEFAULT_CONCURRENCY
    #: Where its ``handler`` key is: a handler that does not import is fixed there.
    handler_location: Location | None = None
    #: Its layers' folders, put on the path after its code as Lambda puts ``/opt/python`` (a template's
    #: ``Layers`` with a local ``ContentUri``).
    layer_paths: tuple[Path, ...] = ()
    #: The Lambda runtime it is written for (``python3.12``); ``None`` when the definition names none.
    #: Process isolation runs it with that Python where one is found (``runtime/interpreters.py``).
    runtime: str | None = None
    #: Where its ``runtime`` is said (a template's ``Runtime``, perhaps in ``Globals``).
    runtime_location: Location | None = None

    @property
    def module_name(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def function_attr(self) -> str:
        return self.handler.rpartition(".")[2]
