"""Outage pages: service problems (open first by default) and one outage with its timeline:
the alarm(s) raised, the problem opened, the notices sent, the alarm(s) cleared, the problem
resolved and the SLA credit with its numbers."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries_bss as qb
from inventory.choices import ProblemState
from web.bss_timeline import outage_timeline
from web.dashboard.blueprint import bp
from web.db import db

LIST_LIMIT = 300


@bp.get("/outages")
def outages() -> ResponseReturnValue:
    which = request.args.get("state", "open")
    states = {
        "open": frozenset(qb.OPEN_PROBLEM_STATES),
        "resolved": frozenset({ProblemState.RESOLVED, ProblemState.CLOSED}),
    }.get(which, frozenset())
    session = db()
    page = qb.list_problems(session, qb.ProblemFilter(states=states), limit=LIST_LIMIT)
    names = qb.customer_names(session, [p.customer_id for p in page.items if p.customer_id])
    return render_template(
        "outages.html", rows=page.items, total=page.total, which=which if states else "all", names=names
    )


@bp.get("/outages/<problem_id>")
def outage(problem_id: str) -> ResponseReturnValue:
    d = qb.problem_detail(db(), problem_id)
    if d is None:
        raise NotFound(f"No outage {problem_id}.")
    timeline = outage_timeline(d.problem, d.alarms, d.messages, d.credits)
    return render_template("outage.html", d=d, p=d.problem, timeline=timeline)
