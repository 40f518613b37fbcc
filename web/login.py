"""Login and logout pages (the ``auth`` blueprint)."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from inventory.accounts import authenticate
from web.auth import current_user, end_session, public, safe_next, start_session
from web.db import db

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

MAX_NAME = 64
MAX_PASSWORD = 1024  # scrypt cost grows with input; refuse absurd lengths before hashing


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url or url_for("dashboard.devices"))
        return render_template("login.html", next_url=next_url or "", username="")

    name = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    user = None
    if 0 < len(name) <= MAX_NAME and 0 < len(password) <= MAX_PASSWORD:
        user = authenticate(db(), name, password)
    if user is None:
        # The name is logged with repr() so that a crafted one cannot forge log lines;
        # the password never is.
        log.warning("login failed for user %r from %s", name[:MAX_NAME], request.remote_addr)
        flash("Wrong user name or password.", "error")
        return render_template("login.html", next_url=next_url or "", username=name[:MAX_NAME])
    start_session(user)
    log.info("user %r logged in from %s", user.name, request.remote_addr)
    return redirect(next_url or url_for("dashboard.devices"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    user = current_user()
    end_session()
    if user is not None:
        log.info("user %r logged out", user.name)
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
