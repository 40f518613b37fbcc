"""Every table of the store, for Alembic and for code that needs the whole metadata."""

from __future__ import annotations

from inventory import bss_models, fault_models, models, provisioning_models, scale_models
from inventory.models import Base

__all__ = ["Base", "bss_models", "fault_models", "models", "provisioning_models", "scale_models"]
