"""The errors and warnings of one serverless.yml load, each at its file, key path and line."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.config.errors import HINT, ConfigError
from emulator.model import Location


@dataclass
class Report:
    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[ConfigError] = field(default_factory=list)

    def error(self, location: Location, message: str, hint: str | None = None) -> None:
        self.errors.append(ConfigError(location, message, (HINT + hint,) if hint else ()))

    def warn(self, location: Location, message: str, hint: str | None = None) -> None:
        self.warnings.append(ConfigError(location, message, (HINT + hint,) if hint else ()))
