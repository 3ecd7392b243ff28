"""Which ``Host`` names the inspector answers to: a defence against DNS rebinding.

A page on ``http://evil.example:3000`` can have its name re-resolved to 127.0.0.1 while it is open;
the browser then sends its requests to the emulator, as the page's own origin, so the page may read
the answers: every recorded request with its ``Authorization`` header, and replay them. What the
attacker cannot change is the ``Host`` header, which names their domain. So ``/_emu`` answers only
to names that cannot be an attacker's: loopback addresses, ``localhost`` and ``*.localhost``
(browsers resolve those to loopback themselves), and the names the developer gave (``--host``,
``--allowed-host``). The API's own paths answer any ``Host``, as API Gateway does.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

#: ``--allowed-host``'s value meaning any name at all: no protection against DNS rebinding.
ANY = "*"
#: A name as DNS spells it (underscores allowed, as container and NetBIOS names have them).
_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")


def host_name(authority: str) -> str | None:
    """The name in a ``Host`` header or an origin's ``host[:port]``, lowercase, without port or
    trailing dot (``LOCALHOST.:3000`` is ``localhost``, ``[::1]:3000`` is ``::1``); ``None`` if it
    is no valid authority.
    """
    authority = authority.strip().lower()
    if authority.startswith("["):
        name, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not _is_port(rest)):
            return None
        return name if _is_ip(name) else None
    name, colon, port = authority.partition(":")
    if colon and not port.isdigit():
        return None
    name = name[:-1] if name.endswith(".") else name
    return name if name and (_NAME.fullmatch(name) or _is_ip(name)) else None


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isdigit()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_local(name: str) -> bool:
    """Loopback, ``localhost`` or ``*.localhost``: names that never reach another machine."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def allowed_host_option(value: str) -> str:
    """``--allowed-host``'s check: a name, an address, ``*.suffix`` or ``*``; raises ``ValueError``."""
    if value == ANY:
        return value
    if "/" in value or "@" in value:
        raise ValueError(f"{value!r}: give a host name such as myhost.local, without a scheme or path")
    bare = value[2:] if value.startswith("*.") else value
    if ":" in bare and not bare.startswith("[") and _is_ip(bare):
        bare = f"[{bare}]"  # an IPv6 address, unbracketed as people type it
    name = host_name(bare)
    if name is None:
        raise ValueError(f"{value!r} is not a host name or IP address")
    if name != bare.lower().rstrip(".").strip("[]"):
        raise ValueError(f"{value!r}: give the name without a port: the inspector answers it on any port")
    return value


class AllowedHosts:
    """The names the inspector answers to: the local ones, and those given, each exactly or ``*.suffix``."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        exact: set[str] = set()
        suffixes: list[str] = []
        self.any = False
        for given in names:
            if given == ANY:
                self.any = True
                continue
            wildcard = given.startswith("*.")
            bare = given[2:] if wildcard else given
            name = host_name(f"[{bare}]" if ":" in bare and not bare.startswith("[") else bare)
            if name is None:
                continue
            if wildcard:
                suffixes.append("." + name)
            else:
                exact.add(name)
        self._exact = frozenset(exact)
        self._suffixes = tuple(suffixes)

    def allows(self, authority: str) -> bool:
        """Whether a ``Host`` header's value (or an origin's authority) names this server."""
        if self.any:
            return True
        name = host_name(authority)
        if name is None:
            return False
        return is_local(name) or name in self._exact or name.endswith(self._suffixes)

    def allows_origin(self, origin: str, host: str) -> bool:
        """Whether a browser's ``Origin`` is the inspector's own page, reached as ``host``.

        Its name must be one the inspector answers to, and its port the one the request came in on:
        a page on another port of localhost (a frontend's dev server) is another site.
        """
        try:
            parts = urlsplit(origin)
            origin_port = parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            return False
        if not self.allows(parts.netloc):
            return False
        return _port(origin_port, parts.scheme) == _port(_host_port(host), parts.scheme)


def _host_port(host: str) -> int | None:
    _, colon, port = host.rpartition(":")
    return int(port) if colon and port.isdigit() and not host.endswith("]") else None


def _port(port: int | None, scheme: str) -> int:
    if port is not None:
        return port
    return 443 if scheme == "https" else 80
