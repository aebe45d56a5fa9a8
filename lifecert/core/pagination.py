"""The guide's pager: 10 a page, 显示第 1 到第 10 条记录，总共 N 条记录."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 10


@dataclass
class PageInfo:
    page: Page[Any]
    first: int
    last: int
    total: int
    querystring: str

    @property
    def summary(self) -> str:
        return f"显示第 {self.first} 到第 {self.last} 条记录，总共 {self.total} 条记录"


def paginate(
    request: HttpRequest,
    items: Any,
    *,
    per_page: int = PAGE_SIZE,
    count: int | None = None,
) -> PageInfo:
    """Page ``items`` by the ``page`` query parameter; a bad number gives page 1."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cheaper count computed by the caller
    page = paginator.get_page(request.GET.get("page"))
    total = paginator.count
    first = page.start_index() if total else 0
    last = page.end_index() if total else 0
    params = request.GET.copy()
    params.pop("page", None)
    return PageInfo(page, first, last, total, params.urlencode())
