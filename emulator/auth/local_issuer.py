"""The built-in local issuer: a stand-in for a Cognito user pool that signs tokens for any user a test names.

A test (or a frontend developer) needs a token that the gateway accepts exactly as it would accept
Cognito's, without an AWS account. The issuer signs with an RSA key of the project's own, kept in
``.apig-emu/local-issuer-key.pem`` beside the definitions: created on first use (readable by its
owner alone), never committed (the folder ignores itself), and the same for ``serve``, ``apig-emu
token`` and the pytest fixture, so a token minted by one is accepted by the others. Tokens are
verified by the same code as a real pool's: only the key differs.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from emulator.auth.cognito import ALGORITHM, TOKEN_USES, issuer

FOLDER = ".apig-emu"
KEY_FILE = "local-issuer-key.pem"
#: What marks a project's root when the folder does not exist yet.
_ROOT_MARKERS = (FOLDER, ".git", "pyproject.toml")
#: The app client id the local issuer's tokens carry (``aud`` of ID tokens, ``client_id`` of access tokens).
LOCAL_CLIENT_ID = "apigemulocalclient0000000000"

_loaded: dict[Path, LocalIssuer] = {}
_lock = threading.Lock()


def project_dir(sources: Iterable[Path]) -> Path:
    """Where the project's ``.apig-emu/`` lives: the nearest folder above the first definitions file
    holding it, a ``.git`` or a ``pyproject.toml``; else that file's folder (the working directory
    without one). Derived from the definitions, so ``serve`` and ``token`` agree wherever they run."""
    first = next(iter(sources), None)
    start = Path(first).resolve().parent if first is not None else Path.cwd().resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _ROOT_MARKERS):
            return folder
    return start


@dataclass(frozen=True)
class LocalIssuer:
    key: RSAPrivateKey
    kid: str

    @property
    def public_key(self) -> RSAPublicKey:
        return self.key.public_key()

    def mint(
        self,
        pool_id: str,
        sub: str,
        *,
        groups: Iterable[str] = (),
        scopes: Iterable[str] = (),
        claims: Mapping[str, object] | None = None,
        expires_in: float = 3600,
        token_use: str = "id",
        now: float | None = None,
    ) -> str:
        """A token as the pool would issue to ``sub``; ``claims`` add to or replace the standard ones."""
        if token_use not in TOKEN_USES:
            raise ValueError(f"token_use must be one of {', '.join(TOKEN_USES)}, not {token_use!r}")
        issued = int(time.time() if now is None else now)
        payload: dict[str, object] = {
            "sub": sub,
            "iss": issuer(pool_id),
            "token_use": token_use,
            "auth_time": issued,
            "iat": issued,
            "exp": issued + int(expires_in),
            "jti": str(uuid.uuid4()),
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
        }
        group_list = list(groups)
        if group_list:
            payload["cognito:groups"] = group_list
        scope_list = list(scopes)
        if token_use == "id":
            payload.update({"aud": LOCAL_CLIENT_ID, "cognito:username": sub})
        else:
            payload.update({"client_id": LOCAL_CLIENT_ID, "username": sub})
        if scope_list:
            payload["scope"] = " ".join(scope_list)
        payload.update(claims or {})
        return jwt.encode(payload, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def jwks(self) -> dict[str, object]:
        """The issuer's public key as a pool publishes its keys (``/.well-known/jwks.json``)."""
        numbers = self.public_key.public_numbers()
        return {
            "keys": [
                {
                    "kid": self.kid,
                    "kty": "RSA",
                    "alg": ALGORITHM,
                    "use": "sig",
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            ]
        }


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def local_issuer(project: Path) -> LocalIssuer:
    """The project's issuer, its key created on first use; loaded once per process."""
    folder = project.resolve() / FOLDER
    with _lock:
        found = _loaded.get(folder)
        if found is None:
            found = _loaded[folder] = _load_or_create(folder)
        return found


def _load_or_create(folder: Path) -> LocalIssuer:
    path = folder / KEY_FILE
    if not path.exists():
        _create(folder, path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key; delete it to have a new one made")
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The kid follows from the key: a new key is a new kid, so an old token is refused as unknown.
    kid = "apig-emu-" + base64.urlsafe_b64encode(hashlib.sha256(public).digest()[:12]).decode()
    return LocalIssuer(key, kid)


def _create(folder: Path, path: Path) -> None:
    folder.mkdir(mode=0o700, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# apig-emu's local state (the local issuer's private key): never commit it\n*\n")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written aside and linked into place: two processes starting at once both end with the one key
    # that won, never a half-written file.
    temporary = folder / f".{KEY_FILE}.{secrets.token_hex(6)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        # The one already there won the race: keep it.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
