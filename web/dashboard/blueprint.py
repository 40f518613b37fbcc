"""The ``dashboard`` blueprint, in a module of its own so that view modules can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
