"""The live inspector at ``/_emu/``: routes, recent requests with their CORS verdicts, and replay.

Plain HTML, CSS and JavaScript shipped in this package (no build step, nothing fetched from elsewhere).
"""

from emulator.inspector.hosts import AllowedHosts
from emulator.inspector.recorder import Recorder
from emulator.inspector.routes import PREFIX, inspector_routes

__all__ = ["PREFIX", "AllowedHosts", "Recorder", "inspector_routes"]
