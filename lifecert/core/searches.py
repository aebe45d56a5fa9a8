"""Searches by ID number, kept in the session instead of the URL.

A full social security number in a query string ends up in access logs,
proxies and browser history. Pages that search by it take the search by POST
(with CSRF), keep it in the session under a short random key and redirect to a
GET whose URL carries only that key (``?search=…``, POST-redirect-GET). The
page, its pager and its export read the search back through the key, so a
plain link to the page still shows it unsearched, and two tabs keep their own
searches. Harmless criteria (page number, sort, filter) stay in the URL.
"""

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

SESSION_SEARCHES = "kept_searches"
SEARCH_PARAM = "search"
# Searches kept per page; older ones are forgotten (their URLs show no search).
KEEP_PER_PAGE = 20


def keep_search(
    session: SessionBase, page: str, data: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, str]:
    """Keep ``fields`` of ``data`` (as typed, trimmed) as a search of ``page``.

    Returns the query parameters that name it (none for an empty search).
    """
    values = {
        name: value
        for name in fields
        if (value := str(data.get(name) or "").strip()[:60])
    }
    if not values:
        return {}
    kept = dict(session.get(SESSION_SEARCHES, {}))
    searches = dict(kept.get(page, {}))
    key = next((k for k, v in searches.items() if v == values), None)
    if key is None:
        key = secrets.token_urlsafe(8)
        searches[key] = values
        while len(searches) > KEEP_PER_PAGE:
            searches.pop(next(iter(searches)))
        kept[page] = searches
        session[SESSION_SEARCHES] = kept
    return {SEARCH_PARAM: key}


def kept_search(request: HttpRequest, page: str) -> dict[str, str]:
    """The search the URL's key names for ``page``; empty when none (or forgotten)."""
    key = request.GET.get(SEARCH_PARAM, "")
    if not key:
        return {}
    return dict(request.session.get(SESSION_SEARCHES, {}).get(page, {}).get(key, {}))
