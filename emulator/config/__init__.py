"""The YAML trigger definitions: which Lambda handler serves which method of which REST API."""

from __future__ import annotations

from emulator.config.errors import ConfigError, ConfigErrors, ConfigWarning
from emulator.config.loader import DEFAULT_CONFIG_PATH, Loaded, load, load_definitions

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ConfigError",
    "ConfigErrors",
    "ConfigWarning",
    "Loaded",
    "load",
    "load_definitions",
]
