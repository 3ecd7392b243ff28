"""Per-request environment variables without glibc's ``setenv`` leak.

glibc never frees a string that ``setenv`` allocated (an earlier ``getenv`` may still hold it); a
value seen before is reused, a new one is allocated. ``_X_AMZN_TRACE_ID`` is new on every request,
so setting it through ``os.environ`` costs about 110 bytes per invocation for the life of the
process: 11 MB per 100,000 requests, which the soak test (``scripts/soak.py``) measured.

These helpers change only Python's view, ``os.environ``, which is where handlers and the X-Ray SDK
read it, as on Lambda. Native code calling ``getenv`` and child processes do not see the per-request
value; variables whose values repeat (the function's own, ``AWS_REGION``…) go through ``os.environ``
as usual and reach both.
"""

from __future__ import annotations

import os

#: Variables that change with every invocation.
PER_REQUEST = frozenset({"_X_AMZN_TRACE_ID"})


def set_python_only(name: str, value: str) -> None:
    os.environ._data[os.environ.encodekey(name)] = os.environ.encodevalue(value)  # type: ignore[attr-defined]


def unset_python_only(name: str) -> None:
    os.environ._data.pop(os.environ.encodekey(name), None)  # type: ignore[attr-defined]
