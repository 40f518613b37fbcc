"""Errors as the client expects them: TMF630-style JSON under /api/ and /tmf-api/, an HTML
page elsewhere.

Messages are written for the user and never carry exception text, which may hold SQL,
paths or values that should not leave the server.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, Response, g, jsonify, render_template
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from web.auth import is_api_request
from web.validation import FieldError

log = logging.getLogger(__name__)


def api_error(status: int, message: str, errors: Mapping[str, str] | None = None) -> Response:
    reason = HTTP_STATUS_CODES.get(status, "Error")
    # TMF630's Error: code and reason required; message and status (the HTTP status, as a
    # string) optional. The same shape for /api/v1 and the TM Forum APIs. ``errors``: each
    # field at fault and what is wrong with it, when a request was refused field by field.
    body: dict[str, object] = {
        "code": str(status),
        "reason": reason,
        "message": message,
        "status": str(status),
    }
    if errors:
        body["errors"] = dict(errors)
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        # RFC 6750 section 3: say which scheme to use, and that a given token was bad.
        challenge = 'Bearer realm="ossagent"'
        if g.get("token_rejected"):
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    return response


def _handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = exc.description or HTTP_STATUS_CODES.get(status, "Error")
    if is_api_request():
        errors = getattr(exc, "errors", None)
        response = api_error(status, message, errors if isinstance(errors, Mapping) else None)
    else:
        response = Response(
            render_template(
                "error.html", status=status, reason=HTTP_STATUS_CODES.get(status, "Error"), message=message
            ),
            status=status,
            mimetype="text/html",
        )
    # Keep what the exception asks for, such as Allow on a 405.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_500(exc: InternalServerError) -> Response:
    original = exc.original_exception
    if original is not None:
        log.error("unhandled error", exc_info=original)
    return _handle_http(InternalServerError("Something went wrong on our side; it has been logged."))


def _handle_field_error(exc: FieldError) -> Response:
    # Input that names its field at fault: a 400 whose message starts with that field.
    return _handle_http(BadRequest(str(exc)))


def init_errors(app: Flask) -> None:
    app.register_error_handler(FieldError, _handle_field_error)
    app.register_error_handler(InternalServerError, _handle_500)
    app.register_error_handler(HTTPException, _handle_http)
