"""The live inspector at ``/_emu/``: routes, recent requests with their CORS verdicts, and replay.

Plain HTML, CSS and JavaScript shipped in this package (no build step, nothing fetched from elsewhere).
"""

from emulator.inspector.recorder import Recorder
from emulator.inspector.routes import PREFIX, inspector_routes

__all__ = ["PREFIX", "Recorder", "inspector_routes"]
