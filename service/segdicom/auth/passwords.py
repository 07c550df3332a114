"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 recommended profile)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from segdicom.errors import BadInput

_HASHER = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 1024
# Verified against when the user does not exist, so both cases take as long.
_DUMMY = _HASHER.hash("segdicom-no-such-user")


def check_new(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise BadInput(f"password must be {MIN_LENGTH}-{MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_new(password))


def verify(stored: str | None, password: str) -> bool:
    """True when `password` matches; an unknown user or empty hash still costs a hash."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored or _DUMMY, password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False
