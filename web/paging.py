"""Server-side pagination of dashboard lists: ``?page=N`` (from 1), a fixed page size, and
links to the first, previous, next and last pages that keep the list's other query
parameters (its filters). A page past the end shows the last one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for

from web.validation import FieldError


@dataclass(frozen=True)
class Pager:
    page: int  # 1-based
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)

    def url(self, page: int) -> str:
        """This list's URL at ``page``, its other query parameters kept."""
        values: dict[str, Any] = dict(request.view_args or {})
        values.update(request.args.to_dict(flat=False))
        values.pop("page", None)
        if page > 1:
            values["page"] = str(page)
        endpoint = request.endpoint
        assert endpoint is not None  # only called while rendering a routed request
        return url_for(endpoint, **values)

    def clamp(self, total: int) -> Pager:
        """The same request against a list of ``total`` rows: a page past the end is the last."""
        pager = Pager(self.page, self.size, total)
        return pager if pager.page <= pager.pages else Pager(pager.pages, self.size, total)


def requested_page(size: int) -> Pager:
    """The page the query string asks for (``page``, default 1); the total is not known yet."""
    raw = request.args.get("page", "").strip()
    if not raw:
        return Pager(1, size, 0)
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise FieldError("page", "must be a positive integer")
    return Pager(int(raw), size, 0)
