"""Response headers that make the browser enforce what the templates already promise:
no inline script (so injected markup cannot run), no framing, no MIME sniffing."""

from __future__ import annotations

from flask import Flask, Response, request

# 'self' only: templates never use inline <script>, inline event handlers or style
# attributes; pages pass data to scripts through data- attributes and JSON fetches.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Pages and API answers are per-user and change every poll: never cache them in
        # shared or back-button caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_security(app: Flask) -> None:
    app.after_request(add_security_headers)
