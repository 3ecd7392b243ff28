"""What HTTP/1.1 (RFC 9112) requires of a request's head before a server may act on it.

The parser (httptools) accepts several heads that RFC 9112 says a server must or should refuse: an
``HTTP/2.0`` request line, a request line with no version at all (read as HTTP/0.9), an HTTP/1.1
request without ``Host``, a ``Transfer-Encoding`` the server cannot decode. Served anyway, a handler
gets what no HTTP/1.1 client can send: a body still gzip-coded, a request line without a version.
These checks run on the finished head, before any
application code; each refusal is an HTTP answer that names what is wrong, in the gateway's
``{"message": …}`` shape. What AWS's front end sends for these is not recorded: the statuses are
RFC 9112's and RFC 9110's.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """An answer written by the server itself, after which the connection is closed."""

    status: int
    message: str
    #: For the log only, when the message alone would not say enough.
    detail: str = ""

    def body(self) -> bytes:
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()


#: RFC 3986's ``host [ ":" port ]``: a bracketed IP literal, or a registered name / IPv4 address.
#: Empty is allowed (RFC 9112 §3.2: a target URI without an authority).
_HOST = re.compile(rb"(?:\[[0-9A-Za-z._~:%!$&'()*+,;=-]*\]|[0-9A-Za-z._~%!$&'()*+,;=-]*)(?::[0-9]*)?")


def _shown(value: bytes, limit: int = 100) -> str:
    """A client's bytes, safe to print: non-ASCII escaped, cut to ``limit`` characters."""
    text = value.decode("ascii", "backslashreplace")
    return text if len(text) <= limit else text[:limit] + "…"


def check_version(version: str) -> Refusal | None:
    """HTTP/1.0 and HTTP/1.1 only.

    llhttp reads a request line without a version as HTTP/0.9, which RFC 9112 §3 calls an invalid
    request line (400). A major version other than 1 in an HTTP/1 request line is one the server
    does not speak: 505 HTTP Version Not Supported (RFC 9110 §15.6.6), the status made for it, rather
    than the catch-all 400. HTTP/2 itself is never sent this way; it is negotiated over TLS (ALPN).
    """
    if version == "1.1" or version == "1.0":
        return None
    if version == "0.9":
        return Refusal(400, "The request line has no HTTP version: HTTP/1.1 or HTTP/1.0 is required")
    return _unsupported_version(version)


def _unsupported_version(version: str) -> Refusal:
    return Refusal(505, f"HTTP/{version} is not supported: send HTTP/1.1")


@functools.lru_cache(maxsize=256)
def _valid_host(value: bytes) -> bool:
    # Cached: a client sends the same Host on every request, and the match costs more than the lookup.
    return _HOST.fullmatch(value) is not None


def check_host(version: str, hosts: list[bytes]) -> Refusal | None:
    """RFC 9112 §3.2: 400 for an HTTP/1.1 request without ``Host``, with two, or with an invalid one."""
    if not hosts:
        return Refusal(400, "An HTTP/1.1 request needs a Host header") if version == "1.1" else None
    if len(hosts) > 1:
        return Refusal(400, "A request may have only one Host header")
    if not _valid_host(hosts[0]):
        return Refusal(400, f"The Host header is not a host or host:port: {_shown(hosts[0])}")
    return None


def transfer_codings(fields: list[bytes]) -> list[bytes]:
    """Every coding of the ``Transfer-Encoding`` fields, in order and lowercased (a list may have empty items)."""
    return [coding.strip().lower() for value in fields for coding in value.split(b",") if coding.strip()]


def check_transfer_encoding(version: str, fields: list[bytes]) -> Refusal | None:
    """Only ``chunked``, once and last, as RFC 9112 §6 allows a server that knows no other coding.

    ``chunked`` not last leaves the body's end unknown: RFC 9112 §6.3 says 400 and close, as for an
    HTTP/1.0 request that has the header at all (§6.1: its framing is to be treated as faulty). A
    coding before ``chunked`` (``gzip, chunked``) is framed but unreadable: 501 Not Implemented
    (§6.1), instead of handing the handler compressed bytes as if they were the body.
    """
    codings = transfer_codings(fields)
    if not codings:
        return None
    if version == "1.0":
        return Refusal(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
    if codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
        listed = _shown(b", ".join(codings))
        return Refusal(400, f"Transfer-Encoding must end with chunked, once: got {listed}")
    if len(codings) == 1:
        return None
    unsupported = _shown(b", ".join(codings[:-1]))
    return Refusal(501, f"Transfer-Encoding {unsupported} is not supported: only chunked is")


def check_head(version: str, headers: list[tuple[bytes, bytes]]) -> Refusal | None:
    """The first thing wrong with a parsed head (lowercased header names), or ``None``.

    Runs for every request, so it reads the headers once.
    """
    refusal = check_version(version)
    if refusal is not None:
        return refusal
    hosts: list[bytes] = []
    encodings: list[bytes] = []
    for name, value in headers:
        if name == b"host":
            hosts.append(value)
        elif name == b"transfer-encoding":
            encodings.append(value)
    return check_host(version, hosts) or (check_transfer_encoding(version, encodings) if encodings else None)


def unparsable(version: str, reason: str | None) -> Refusal:
    """The answer to a head the parser gave up on, with its reason when it has one worth showing.

    llhttp stops at an ``HTTP/3.0`` (or ``PRI * HTTP/2.0``, HTTP/2's preface) request line before the
    head is complete, having read the version: that is still a version the server does not speak.
    """
    if not version.startswith(("0.", "1.")):
        return _unsupported_version(version)
    return Refusal(400, f"Invalid HTTP request: {reason}" if reason else "Invalid HTTP request")
