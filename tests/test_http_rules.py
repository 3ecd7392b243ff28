"""``emulator.http_rules``: which heads RFC 9112 has the server refuse, and with what.

The live answers (a closed connection, no handler run, the server still healthy) are in
``tests/test_bad_requests.py``; this is the table of decisions.
"""

from __future__ import annotations

import pytest

from emulator.http_rules import Refusal, check_head, transfer_codings, unparsable

HOST = [(b"host", b"127.0.0.1:3000")]


@pytest.mark.parametrize(
    ("version", "headers"),
    [
        ("1.1", HOST),
        ("1.0", []),
        ("1.0", HOST),
        ("1.1", [(b"host", b"")]),
        ("1.1", [(b"host", b"[::1]:3000")]),
        ("1.1", [(b"host", b"[fe80::1%25eth0]")]),
        ("1.1", [(b"host", b"abc123.execute-api.localhost")]),
        ("1.1", [*HOST, (b"transfer-encoding", b"chunked")]),
        ("1.1", [*HOST, (b"transfer-encoding", b" CHUNKED ")]),
        ("1.1", [*HOST, (b"transfer-encoding", b",chunked,")]),
        ("1.1", [*HOST, (b"content-length", b"3")]),
    ],
)
def test_heads_http_1_allows_pass(version: str, headers: list[tuple[bytes, bytes]]) -> None:
    assert check_head(version, headers) is None


@pytest.mark.parametrize(
    ("version", "headers", "status", "message"),
    [
        ("2.0", HOST, 505, "HTTP/2.0 is not supported: send HTTP/1.1"),
        ("0.9", [], 400, "The request line has no HTTP version: HTTP/1.1 or HTTP/1.0 is required"),
        ("1.1", [], 400, "An HTTP/1.1 request needs a Host header"),
        ("1.0", [(b"host", b"a"), (b"host", b"a")], 400, "A request may have only one Host header"),
        ("1.1", [(b"host", b"a:b")], 400, "The Host header is not a host or host:port: a:b"),
        ("1.1", [(b"host", b"\x9b31m")], 400, "The Host header is not a host or host:port: \\x9b31m"),
        (
            "1.1",
            [(b"host", b"x" * 200 + b" ")],
            400,
            "The Host header is not a host or host:port: " + "x" * 100 + "…",
        ),
        (
            "1.1",
            [*HOST, (b"transfer-encoding", b"gzip, chunked")],
            501,
            "Transfer-Encoding gzip is not supported: only chunked is",
        ),
        (
            "1.1",
            [*HOST, (b"transfer-encoding", b"x-custom"), (b"transfer-encoding", b"chunked")],
            501,
            "Transfer-Encoding x-custom is not supported: only chunked is",
        ),
        (
            "1.1",
            [*HOST, (b"transfer-encoding", b"chunked, chunked")],
            400,
            "Transfer-Encoding must end with chunked, once: got chunked, chunked",
        ),
        (
            "1.1",
            [*HOST, (b"transfer-encoding", b"chunked;q=1")],
            400,
            "Transfer-Encoding must end with chunked, once: got chunked;q=1",
        ),
        (
            "1.0",
            [(b"transfer-encoding", b"chunked")],
            400,
            "Transfer-Encoding is not allowed in an HTTP/1.0 request",
        ),
    ],
    ids=[
        "http-2",
        "no-version",
        "no-host",
        "two-hosts",
        "bad-port",
        "c1-control-escaped",
        "long-host-cut",
        "gzip-chunked",
        "two-fields",
        "chunked-twice",
        "chunked-with-parameter",
        "te-in-http-1.0",
    ],
)
def test_heads_http_1_does_not_allow_are_refused(
    version: str, headers: list[tuple[bytes, bytes]], status: int, message: str
) -> None:
    assert check_head(version, headers) == Refusal(status, message)


def test_the_version_is_checked_first_then_host_then_framing() -> None:
    framing = [(b"transfer-encoding", b"gzip")]
    assert check_head("2.0", framing) == check_head("2.0", HOST)
    assert check_head("1.1", framing) == check_head("1.1", [])


def test_transfer_codings_span_fields_in_order() -> None:
    assert transfer_codings([b"GZIP,, deflate", b"chunked"]) == [b"gzip", b"deflate", b"chunked"]


@pytest.mark.parametrize(
    ("version", "reason", "expected"),
    [
        (
            "1.1",
            "Invalid method encountered",
            Refusal(400, "Invalid HTTP request: Invalid method encountered"),
        ),
        ("0.0", None, Refusal(400, "Invalid HTTP request")),
        ("0.9", "Invalid header value char", Refusal(400, "Invalid HTTP request: Invalid header value char")),
        ("3.0", "Invalid HTTP version", Refusal(505, "HTTP/3.0 is not supported: send HTTP/1.1")),
    ],
)
def test_what_the_parser_refuses_is_400_unless_it_names_another_version(
    version: str, reason: str | None, expected: Refusal
) -> None:
    assert unparsable(version, reason) == expected


def test_the_body_is_the_gateways_json_shape() -> None:
    assert Refusal(501, 'a "quoted" \x1b thing').body() == b'{"message":"a \\"quoted\\" \\u001b thing"}'
