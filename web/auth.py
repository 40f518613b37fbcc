"""Who is asking, and may they: the one gate every request passes.

Routes need a logged-in user unless their view is marked ``@public`` (login, health,
metrics) or they serve static files, so a route added later is protected by default.
Pages authenticate with the session cookie; the APIs (paths under ``/api/`` and
``/tmf-api/``) take ``Authorization: Bearer <token>`` or the session cookie, the latter for
state-changing calls only together with the CSRF header.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden, Unauthorized

from inventory.accounts import user_for_token
from inventory.choices import Role
from inventory.models import User
from web import csrf
from web.db import db

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_PUBLIC_ATTR = "_ossagent_public"
_ROLE_RANK = {Role.VIEWER: 0, Role.ENGINEER: 1, Role.ADMIN: 2}
AuthVia = Literal["session", "token"]


def public(view: F) -> F:
    """Mark a view as reachable without logging in."""
    setattr(view, _PUBLIC_ATTR, True)
    return view


def current_user() -> User | None:
    return cast(User | None, g.get("user"))


def may(user: User | None, role: Role) -> bool:
    """True when ``user`` holds ``role`` or a stronger one."""
    return user is not None and _ROLE_RANK[user.role] >= _ROLE_RANK[role]


def requires(role: Role) -> Callable[[F], F]:
    """Allow a view only to users with ``role`` or stronger (403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not may(current_user(), role):
                raise Forbidden(f"This needs the {role.value} role or higher.")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


API_ROOTS = ("/api", "/tmf-api")


def is_api_request() -> bool:
    """True for the JSON APIs: ours under /api/ and the TM Forum ones under /tmf-api/."""
    path = request.path
    return any(path == root or path.startswith(root + "/") for root in API_ROOTS)


# -- the session cookie -------------------------------------------------------------------


def _password_stamp(user: User) -> str:
    # Bound into the session so that a password change (or a reset by an admin) ends every
    # session of that user, although Flask's sessions live in the client's cookie.
    key = current_app.config["SECRET_KEY"]
    key_bytes = key.encode() if isinstance(key, str) else key
    return hmac.new(key_bytes, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["stamp"] = _password_stamp(user)
    csrf.rotate()


def end_session() -> None:
    session.clear()
    csrf.rotate()


def _session_user() -> User | None:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    stamp = session.get("stamp")
    user = db().get(User, uid)
    if user is None or user.disabled or not isinstance(stamp, str):
        return None
    return user if hmac.compare_digest(stamp, _password_stamp(user)) else None


def _bearer_user(header: str) -> User | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = user_for_token(db(), token.strip())
    if user is not None:
        # user_for_token stamps the token's last_used; keep that even for read-only calls.
        db().commit()
    return user


# -- the gate -----------------------------------------------------------------------------


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers drop tabs and newlines inside URLs and read "\" as "/", which would turn
    # "/\t/evil.example" into "//evil.example".
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def login_url_for_current_request() -> str:
    if request.method == "GET":
        nxt = request.full_path if request.query_string else request.path
        return url_for("auth.login") + "?" + urlencode({"next": nxt})
    return url_for("auth.login")


def _is_public(endpoint: str) -> bool:
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, _PUBLIC_ATTR, False))


def gate() -> ResponseReturnValue | None:
    """before_request: find the user, refuse the anonymous, check CSRF on writes."""
    g.user = None
    g.auth_via = None
    if request.endpoint == "static":
        return None  # no database round trip for a stylesheet
    via: AuthVia | None = None
    header = request.headers.get("Authorization")
    api = is_api_request()
    if api and header is not None:
        # A bad or revoked token is a 401 even when a session cookie is present too:
        # the client asked to be this token's user.
        user = _bearer_user(header)
        via = "token" if user is not None else None
        g.token_rejected = user is None
    else:
        user = _session_user()
        via = "session" if user is not None else None
    g.user, g.auth_via = user, via

    if request.endpoint is None:
        return None  # a 404 or 405 follows, which gives nothing away
    if _is_public(request.endpoint):
        # Public views that change state (login) still need a valid CSRF token.
        csrf.protect()
        return None
    if user is None:
        if api:
            raise Unauthorized("Authentication required: send Authorization: Bearer <token>.")
        return redirect(login_url_for_current_request())
    if via == "session":
        csrf.protect()
    return None


def init_auth(app: Flask) -> None:
    app.before_request(gate)
