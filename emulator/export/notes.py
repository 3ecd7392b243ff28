"""What an export could not write as the model has it: said to the user, never silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Notes:
    """Each entry names where (``GET /orders``, ``model 'Pet'``) and what was written instead."""

    entries: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        entry = f"{where}: {message}"
        if entry not in self.entries:
            self.entries.append(entry)
