"""Reading the files that definitions name: regular files only, each kind within its size limit.

A path given by a user may be anything: a FIFO that blocks the reader until something writes to it,
``/dev/zero`` or ``/dev/urandom`` that never end, a file far larger than a definition could be. The
file's type is checked before it is opened (opening a device can have effects of its own), checked
again on the open descriptor (the path may have been swapped in between), and the read stops one
byte past the limit, so a file that grows while it is read is refused rather than read without end.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024
#: A definition file or a ``--mock`` file. The largest real definitions hold a few hundred methods in
#: well under 200 KB; ten times that is a mistake (the wrong file) or an attack, and PyYAML, pure
#: Python so that errors keep their lines, needs seconds per MiB to parse it.
MAX_DEFINITION_BYTES = 2 * MIB
#: A mock's ``body_file``: API Gateway's own maximum payload (10 MB), so no mock answers what AWS could not.
MAX_BODY_FILE_BYTES = 10 * MIB

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(Exception):
    """A file that was not read; the message says why, and the caller says where (file, key, line)."""


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The whole of the regular file at ``path``, at most ``limit`` bytes; raises ``FileRefused``.

    ``what`` names the kind of file in the messages, e.g. "a definition file".
    """
    try:
        _check(os.stat(path), limit, what)
        # O_NONBLOCK: were a FIFO swapped in after the check, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        try:
            _check(os.fstat(fd), limit, what)
            data = file.read(limit + 1)
        except OSError as exc:
            raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise FileRefused(f"{what} may be at most {size_text(limit)}; this one grew past that while read")
    return data


def check_limited(path: Path, limit: int, what: str) -> None:
    """Raise ``FileRefused`` unless ``path`` is a regular file within ``limit``, without reading it."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    _check(info, limit, what)


def size_text(size: int) -> str:
    """A limit as people say it and as the bytes it is: ``2 MiB (2,097,152 bytes)``."""
    if size % MIB == 0:
        return f"{size // MIB} MiB ({size:,} bytes)"
    return f"{size:,} bytes"


def _check(info: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
        raise FileRefused(f"{what} must be a regular file; this is {kind}")
    if info.st_size > limit:
        raise FileRefused(f"{what} may be at most {size_text(limit)}; this one is {info.st_size:,} bytes")
