"""Endpoints for machines, open without login: the health check and Prometheus metrics."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from inventory import queries
from web import metrics
from web.auth import public
from web.db import db

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)


@bp.get("/health")
@public
def health() -> Response:
    try:
        queries.ping(db())
    except SQLAlchemyError:
        log.exception("health check: the database did not answer")
        response = jsonify({"status": "error", "database": "error"})
        response.status_code = 503
        return response
    return jsonify({"status": "ok", "database": "ok"})


@bp.get("/metrics", endpoint="metrics")
@public
def prometheus_metrics() -> Response:
    text = metrics.render_snapshot(queries.metrics_snapshot(db()))
    return Response(text, content_type=metrics.CONTENT_TYPE)
