"""The response the gateway writes, whichever step produced it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GatewayResponse:
    status: int
    #: (name, value) pairs in wire order; a name may repeat (e.g. several ``Set-Cookie``).
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in reversed(self.headers):
            if key.lower() == lower:
                return value
        return None

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None
