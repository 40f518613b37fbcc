"""Column types that keep the store honest across SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Text
from sqlalchemy.types import TypeDecorator

from inventory import crypto
from inventory.domain import Secret

_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite drops the offset, so values are stored as naive UTC and re-tagged on load.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UInt64(TypeDecorator[int]):
    """An unsigned 64-bit counter in a signed BIGINT column (two's complement).

    Counter64 values reach 2**64-1, past what SQLite INTEGER or PostgreSQL BIGINT hold; a
    NUMERIC column would make SQLite fall back to floating point and lose the low digits.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not 0 <= value < _U64:
            raise ValueError(f"counter out of unsigned 64-bit range: {value}")
        return value - _U64 if value > _I64_MAX else value

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return value + _U64 if value < 0 else value


class EncryptedSecret(TypeDecorator[Secret]):
    """A ``Secret`` stored as a Fernet token; the key lives outside the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Secret):
            raise TypeError("EncryptedSecret columns take Secret values")
        return crypto.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Secret | None:
        if value is None:
            return None
        return crypto.decrypt(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class IntEnumType(TypeDecorator[Any]):
    """An ``IntEnum`` stored as its MIB integer; unknown integers load as the enum's fallback."""

    impl = Integer
    cache_ok = True

    def __init__(self, enum_cls: type[enum.IntEnum], fallback: enum.IntEnum) -> None:
        super().__init__()
        self.enum_cls = enum_cls
        self.fallback = fallback

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        try:
            return self.enum_cls(value)
        except ValueError:
            return self.fallback
