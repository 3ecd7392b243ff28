"""Real sockets for tests that need them: a uvicorn server on a free port, in a background thread."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from emulator.server import uvicorn_config


class ThreadedServer:
    """``with ThreadedServer(app) as server: server.url``; the emulator's own protocol unless ``plain``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", plain: bool = False) -> None:
        if plain:
            config = uvicorn.Config(app, host=host, port=0, lifespan="off", log_config=None, access_log=False)
        else:
            config = uvicorn_config(app, host=host, port=0)
        self.server = uvicorn.Server(config)
        self.host = host
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
