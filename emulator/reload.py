"""Hot reload: a saved handler restarts only its function's environments, a saved config redeploys.

Both mirror a deployment on AWS. New code reaches a function through new execution environments
(the invoker's ``code_changed``), while requests already running finish on the old ones. A config
change deploys anew and swaps the gateway's deployment, which a request reads once when it
arrives, so a request in flight keeps the deployment it started with. A config that does not
validate is not deployed: its errors are printed and the last good deployment keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from starlette.applications import Starlette

from emulator.config import ConfigErrors, formats
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.model import Definitions

log = logging.getLogger("apig_emu.reload")

CONFIG_SUFFIXES = (".yaml", ".yml")
#: Folders whose files are never a function's own code: virtual environments, caches, VCS.
IGNORED_DIRS = (
    "__pycache__",
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "site-packages",
    "node_modules",
    ".idea",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
)


@runtime_checkable
class Reloadable(Protocol):
    """An invoker that can start new environments for changed source files."""

    def code_changed(self, paths: Collection[str]) -> list[str]:
        """Restart the functions that loaded any of ``paths``; their names."""
        ...


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class Reloader:
    """Watches the code directory and the config, and applies what changed to a running app."""

    def __init__(
        self,
        app: Starlette,
        *,
        config: Path,
        code_dir: Path,
        load: Callable[[], Definitions | None],
        on_deploy: Callable[[Definitions], None] | None = None,
    ) -> None:
        """``load`` raises ``ConfigErrors`` or returns ``None`` (having said why) for a broken config."""
        self.app = app
        self.config = config.resolve()
        # Watched even before it exists: an apig-emu.yaml saved beside a served template is read at once.
        companion = formats.companion_of(self.config)
        self.companion = Path(os.path.realpath(companion)) if companion is not None else None
        self.code_dir = code_dir.resolve()
        self.load = load
        self.on_deploy = on_deploy
        self._sources: set[Path] = set()
        self._sources_of: object = None

    def documents(self) -> set[Path]:
        """The files the deployment was read from besides the YAML: its apis' OpenAPI documents.

        Worked out once per deployment: the watcher asks for every file event, and a busy log file
        in the config's folder makes thousands.
        """
        gateway = getattr(self.app.state, "gateway", None)
        deployment = gateway.deployment if gateway is not None else None
        if deployment is not self._sources_of:
            sources = deployment.definitions.sources if deployment is not None else ()
            self._sources = {Path(os.path.realpath(source)) for source in sources}
            self._sources_of = deployment
        return self._sources

    def is_config(self, path: str) -> bool:
        file = Path(path)
        if file in self.documents() or file == self.companion:
            return True
        if self.config.is_dir():
            return file.suffix in CONFIG_SUFFIXES and _inside(file, self.config)
        return file == self.config

    def is_code(self, path: str) -> bool:
        file = Path(path)
        return file.suffix == ".py" and _inside(file, self.code_dir)

    def roots(self) -> list[Path]:
        """The folders to watch: the code directory, the config's folder and its documents' folders, none
        inside another."""
        config_root = self.config if self.config.is_dir() else self.config.parent
        folders = sorted({self.code_dir, config_root, *(document.parent for document in self.documents())})
        return [
            folder
            for folder in folders
            if not any(_inside(folder, other) for other in folders if other != folder)
        ]

    async def run(self, app: Any = None) -> None:
        """Watch until cancelled; a background task of the app (``app.state.background``)."""
        import watchfiles

        watch_filter = watchfiles.DefaultFilter(ignore_dirs=IGNORED_DIRS)
        # Its "N changes detected" says less than the lines below, which name what was reloaded.
        logging.getLogger("watchfiles").setLevel(logging.WARNING)

        def wanted(change: watchfiles.Change, path: str) -> bool:
            return watch_filter(change, path) and (self.is_code(path) or self.is_config(path))

        log.info("hot reload: watching %s", ", ".join(str(root) for root in self.roots()))
        stop = asyncio.Event()
        try:
            # A short rust_timeout: the watcher's thread notices ``stop`` only between waits, and a
            # shutdown should not wait seconds for it.
            async for changes in watchfiles.awatch(
                *self.roots(), watch_filter=wanted, step=50, stop_event=stop, rust_timeout=500
            ):
                self.apply(path for _, path in changes)
        finally:
            stop.set()

    def apply(self, paths: Iterable[str]) -> None:
        """Redeploy for config changes first, then restart functions whose code changed.

        It never raises: the watcher calls it for every change, and one change that cannot be applied
        (a bug, stdout gone while the route table is printed) must not end hot reload for the session.
        """
        changed = sorted({os.path.realpath(path) for path in paths})
        try:
            if any(self.is_config(path) for path in changed):
                self.redeploy()
            code = [path for path in changed if self.is_code(path)]
            if code:
                self.restart(code)
        except Exception:
            log.exception("hot reload could not apply a change to %s; it keeps watching", ", ".join(changed))

    def redeploy(self) -> bool:
        """A new deployment of the config as it is now; the old one keeps serving if it is broken."""
        try:
            definitions = self.load()
        except ConfigErrors as errors:
            log.error("%s\nThe config was not reloaded: the last good deployment keeps serving.", errors)
            return False
        if definitions is None:
            log.error("The config was not reloaded: the last good deployment keeps serving.")
            return False
        gateway: Gateway = self.app.state.gateway
        gateway.deployment = deploy(definitions, auth_off=gateway.deployment.access.off)
        retain = getattr(gateway.invoker, "retain", None)
        if retain is not None:
            retain(set(definitions.functions))
        log.info(
            "config reloaded: a new deployment serves %d API(s) and %d function(s)",
            len(definitions.apis),
            len(definitions.functions),
        )
        if self.on_deploy is not None:
            self.on_deploy(definitions)
        return True

    def restart(self, paths: Collection[str]) -> list[str]:
        invoker = self.app.state.gateway.invoker
        if not isinstance(invoker, Reloadable):
            return []
        restarted = invoker.code_changed(paths)
        shown = ", ".join(os.path.relpath(path, self.code_dir) for path in paths)
        if restarted:
            log.info(
                "code changed (%s): new execution environments for %s",
                shown,
                ", ".join(repr(name) for name in restarted),
            )
        else:
            log.info("code changed (%s): no running function had loaded it", shown)
        return restarted
