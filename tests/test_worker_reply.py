"""The worker's reply framing (``emulator.runtime.wire.Reply``): what crosses the reply pipe."""

from __future__ import annotations

import pytest

from emulator.runtime.wire import REPLY_HEAD, Reply


def test_a_plain_result_is_figures_and_payload_without_json() -> None:
    reply = Reply(b'{"ok": true}', duration_ms=1.25, memory_mb=31)
    encoded = reply.encode()
    assert encoded == REPLY_HEAD.pack(0, 12, 1.25, -1.0, 31, False) + b'{"ok": true}'
    assert Reply.decode(bytearray(encoded)) == (reply, len(encoded))


def test_every_field_survives_the_trip() -> None:
    reply = Reply(
        payload=b'{"errorMessage": "boom"}',
        duration_ms=12.5,
        init_duration_ms=0.0,
        memory_mb=130,
        retire=True,
        function_error="Unhandled",
        detail="Traceback (most recent call last): ...",
        output_dropped=123_456_789,
        files=["/code/app.py"],
    )
    encoded = reply.encode()
    assert Reply.decode(bytearray(encoded)) == (reply, len(encoded))


def test_the_ready_message_is_an_empty_reply() -> None:
    encoded = Reply().encode()
    assert len(encoded) == REPLY_HEAD.size
    assert Reply.decode(bytearray(encoded)) == (Reply(), REPLY_HEAD.size)


@pytest.mark.parametrize("cut", [0, 1, REPLY_HEAD.size - 1, REPLY_HEAD.size, REPLY_HEAD.size + 5])
def test_an_incomplete_reply_waits_for_the_rest(cut: int) -> None:
    encoded = Reply(b"payload", detail="a detail").encode()
    assert Reply.decode(bytearray(encoded[:cut])) is None


def test_replies_that_arrive_together_are_cut_apart() -> None:
    first, second = Reply(b"1", output_dropped=3), Reply(b"22", duration_ms=2.0)
    buffer = bytearray(first.encode() + second.encode())
    decoded = Reply.decode(buffer)
    assert decoded is not None and decoded[0] == first
    del buffer[: decoded[1]]
    assert Reply.decode(buffer) == (second, len(buffer))
