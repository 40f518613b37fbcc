"""CSRF protection: one random token per session, checked on every state-changing request.

Forms carry the token in a hidden field, the dashboard's scripts send it in a header (read
from the page's ``<meta name="csrf-token">``). API clients that authenticate with a bearer
token need none: a bearer token is not sent by the browser on its own, so it cannot be
ridden by another site.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session
from werkzeug.exceptions import BadRequest

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CSRFError(BadRequest):
    description = "The form has expired or did not come from this site. Reload the page and try again."


def token() -> str:
    """The session's token, created on first use (templates call this as ``csrf_token()``)."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def rotate() -> str:
    """A fresh token, at login and logout, so a token seen before login is worth nothing after."""
    session.pop(SESSION_KEY, None)
    return token()


def submitted() -> str:
    return request.headers.get(HEADER) or request.form.get(FORM_FIELD, "")


def is_valid(candidate: str) -> bool:
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected or not candidate:
        return False
    return hmac.compare_digest(expected.encode(), candidate.encode())


def protect() -> None:
    """Raise CSRFError unless the request is safe or carries the session's token."""
    if request.method in SAFE_METHODS:
        return
    if not is_valid(submitted()):
        raise CSRFError()
