"""Users and API tokens: scrypt password hashes and SHA-256 token digests.

Functions take a session and never commit; the caller owns the unit of work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.choices import Role
from inventory.models import ApiToken, User
from inventory.types import utcnow

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "oss_"  # noqa: S105 - a public prefix that makes leaked tokens greppable
MIN_PASSWORD = 8


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    candidate = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


# A hash to compare against when the user does not exist, so that a login for an unknown
# name costs the same time as one for a known name.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def create_user(session: Session, name: str, password: str, role: Role) -> User:
    if not name or len(name) > 64:
        raise AccountError("user name must be 1 to 64 characters")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(name=name, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)


def authenticate(session: Session, name: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.name == name))
    if user is None or user.disabled:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User) -> str:
    """Create an API token and return it; only its digest is stored, so it is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token), prefix=token[:10]))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
    if row is None or row.revoked or row.user.disabled:
        return None
    now = utcnow()
    # Record use at most once a minute: otherwise every API call would be a write.
    if row.last_used is None or now - row.last_used > timedelta(minutes=1):
        row.last_used = now
    return row.user
