"""Every table of the store, for Alembic and for code that needs the whole metadata."""

from __future__ import annotations

from inventory import fault_models, models
from inventory.models import Base

__all__ = ["Base", "fault_models", "models"]
