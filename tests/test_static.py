"""The static origin: a frontend folder on its own port, index.html for client-side routes, nothing outside."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.static import StaticSite, static_server
from tests.live import exchange
from tests.threaded_server import ThreadedServer

SECRET = b"TOP SECRET outside the folder"


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("static")
    root = tmp_path / "site"
    (root / "assets").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "assets" / "app.js").write_text("console.log('app')")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    (root / "%2e%2e").write_text("a file literally named %2e%2e")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    (tmp_path / "outside" / "index.html").write_bytes(SECRET)
    os.symlink(tmp_path / "outside", root / "link")
    os.symlink(tmp_path / "secret.txt", root / "secret-link.txt")
    os.symlink(root / "assets" / "app.js", root / "inside-link.js")
    return root


@pytest.fixture(scope="module")
def served(site_dir: Path) -> Iterator[str]:
    with ThreadedServer(StaticSite(site_dir), plain=True) as server:
        yield server.url


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """Send the path byte for byte: HTTP clients normalise ``..`` away before it reaches a server."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_files_index_and_content_types(served: str) -> None:
    home = requests.get(served + "/", timeout=5)
    assert (home.status_code, home.text) == (200, "<h1>home</h1>")
    assert home.headers["Content-Type"].startswith("text/html")
    assert home.headers["Cache-Control"] == "no-cache"
    script = requests.get(served + "/assets/app.js", timeout=5)
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert requests.get(served + "/docs/", timeout=5).text == "<h1>docs</h1>"
    assert requests.get(served + "/docs", timeout=5).text == "<h1>docs</h1>"
    assert requests.get(served + "/inside-link.js", timeout=5).status_code == 200


def test_client_side_routes_get_index_html_but_missing_assets_404(served: str) -> None:
    route = requests.get(served + "/orders/42/edit", timeout=5)
    assert (route.status_code, route.text) == (200, "<h1>home</h1>")
    assert requests.get(served + "/assets/missing.js", timeout=5).status_code == 404


def test_head_and_other_methods(served: str) -> None:
    head = requests.head(served + "/assets/app.js", timeout=5)
    assert head.status_code == 200
    assert head.content == b""
    post = requests.post(served + "/", timeout=5)
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/link/secret.txt",
        "/link/",
        "/link",
        "/secret-link.txt",
        "/assets/..%00/secret.txt",
    ],
)
def test_nothing_outside_the_folder_is_ever_served(served: str, path: str) -> None:
    status, body = raw_get(served, path)
    assert SECRET not in body
    # A refused path is a 404, or for an extension-less one the folder's own index.html (a client route).
    assert (status, body) in ((404, b"Not Found"), (200, b"<h1>home</h1>"))


def test_a_file_named_like_an_escape_is_just_a_file(served: str) -> None:
    # ``%252e%252e`` decodes once, to the literal name ``%2e%2e``, which is inside the folder.
    assert raw_get(served, "/%252e%252e") == (200, b"a file literally named %2e%2e")


def test_an_index_html_that_links_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (tmp_path / "index.html").write_bytes(SECRET)
    os.symlink(tmp_path / "index.html", root / "index.html")
    site = StaticSite(root)
    assert site.resolve("/") is None
    assert site.respond("GET", "/some/route").status_code == 404


def test_the_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        StaticSite(tmp_path / "nope")


def test_a_websocket_handshake_to_the_static_origin_is_an_ordinary_request(site_dir: Path) -> None:
    """A dev server's live-reload socket, say: answered as a GET (index.html), not a 500."""
    server = static_server(site_dir)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.01)
            handshake = (
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            response = exchange(port, handshake.encode())
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    assert response.status == 200
    assert response.body == b"<h1>home</h1>"
