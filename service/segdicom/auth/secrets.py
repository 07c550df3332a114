"""Random secrets and their digests (sessions, API tokens, CSRF tokens)."""

import hashlib
import secrets

# A recognisable prefix lets secret scanners find leaked tokens; not itself a secret.
TOKEN_PREFIX = "sdt_"  # noqa: S105


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + new_secret()


def digest(secret: str) -> str:
    """SHA-256 hex: enough for 256-bit random secrets (no dictionary to guess from)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))
