"""What crosses the pipes between the gateway and a worker process, written once for both ends.

Requests go to the worker as length-prefixed pickles: first ``("init", Function, enforce_memory)``,
then one ``(aws_request_id, trace_id, event, timeout)`` per invocation. Replies come back as a
``Reply``: fixed-size figures, the raw Invoke payload, and JSON for the rest when there is any (an
error, what the worker dropped of its output). Never pickle that way: user code runs in the worker,
and the gateway should never unpickle what a handler could have written. The function's output
itself has a pipe of its own (``worker_handle``).

A module of its own so that the gateway's side does not import the worker's (``resource``, the
handler loader, the worker's logging), and the worker's side imports nothing it does not run. Reading
a request is the worker's alone (``worker.read_request``): only the worker unpickles, and only what
the gateway pickled for it; nothing the gateway imports does (``tests/test_exposure.py``).
"""

from __future__ import annotations

import io
import json
import pathlib
import pickle
import struct
from typing import Any, NamedTuple

#: Parent to worker: a 4-byte length, then a pickle.
REQUEST_LENGTH = struct.Struct("!I")
#: Worker to parent: the lengths of the JSON extras and of the payload, the duration and the init
#: duration in ms (negative when there was no cold start), peak memory in MB, whether to retire.
REPLY_HEAD = struct.Struct("!IIddI?")


#: The newest pickle protocol every Python a worker may run on reads (3.8 and later read 5).
PROTOCOL = 5


def frame(message: Any) -> bytes:
    """A request as the worker reads it."""
    body = pickle.dumps(message, protocol=PROTOCOL)
    return REQUEST_LENGTH.pack(len(body)) + body


def frame_init(message: Any) -> bytes:
    """The first request, which carries the ``Function``, as a worker on any Python version reads it."""
    body = portable_pickle(message)
    return REQUEST_LENGTH.pack(len(body)) + body


def portable_pickle(value: Any) -> bytes:
    """``value`` pickled so that a worker on another Python version can read it: paths as plain paths.

    A worker may run on the Python its function's runtime names, older or newer than the gateway's.
    Pickle names a path's class by its module, which moved in 3.13 (``pathlib._local``), so a 3.13
    gateway's paths would not load in a 3.12 worker. Paths go as ``as_path(text)`` instead, a
    function every version of this module has. Only for the messages that carry paths (the
    ``Function``); an invocation's event holds none, and the plain pickler is faster.
    """
    buffer = io.BytesIO()
    _PortablePickler(buffer, protocol=PROTOCOL).dump(value)
    return buffer.getvalue()


def as_path(text: str) -> pathlib.Path:
    return pathlib.Path(text)


class _PortablePickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, pathlib.PurePath):
            return as_path, (str(obj),)
        return NotImplemented


class Reply(NamedTuple):
    """What the worker says after each invocation, and once, all empty, when it is ready.

    The figures every reply has are packed in a fixed header, so the common reply, a result without
    output, costs no JSON to write or read: on the gateway's side, the busiest process, that is 2 µs a
    request.
    """

    payload: bytes = b""
    duration_ms: float = 0.0
    init_duration_ms: float | None = None
    memory_mb: int = 0
    retire: bool = False
    function_error: str | None = None
    detail: str | None = None
    #: Bytes of output the worker dropped past its cap rather than send (``output.CappedStream``).
    output_dropped: int = 0
    #: The function's own source files loaded so far, sent when the worker's modules changed.
    files: list[str] | None = None

    def encode(self) -> bytes:
        return encode_reply(*self)

    @classmethod
    def decode(cls, buffer: bytearray) -> tuple[Reply, int] | None:
        """The first reply in ``buffer`` and its size, or ``None`` while it is incomplete."""
        if len(buffer) < REPLY_HEAD.size:
            return None
        head, size, duration, init, memory, retire = REPLY_HEAD.unpack_from(buffer)
        start = REPLY_HEAD.size + head
        end = start + size
        if len(buffer) < end:
            return None
        extras = json.loads(buffer[REPLY_HEAD.size : start]) if head else {}
        init_duration = None if init < 0 else init
        return cls(bytes(buffer[start:end]), duration, init_duration, memory, retire, **extras), end


def encode_reply(
    payload: bytes,
    duration_ms: float,
    init_duration_ms: float | None,
    memory_mb: int,
    retire: bool,
    function_error: str | None,
    detail: str | None,
    output_dropped: int,
    files: list[str] | None,
) -> bytes:
    """A ``Reply``'s bytes from its fields: the worker's path, which has them without a ``Reply``."""
    extras: dict[str, Any] = {}
    if function_error:
        extras["function_error"] = function_error
    if detail:
        extras["detail"] = detail
    if output_dropped:
        extras["output_dropped"] = output_dropped
    if files:
        extras["files"] = files
    head = json.dumps(extras).encode() if extras else b""
    init = -1.0 if init_duration_ms is None else init_duration_ms
    return REPLY_HEAD.pack(len(head), len(payload), duration_ms, init, memory_mb, retire) + head + payload
