"""Searches by ID number, kept in the session instead of the URL.

A full social security number in a query string ends up in access logs,
proxies and browser history. Pages that search by it take the search by POST
(with CSRF), keep it here, and redirect to a plain GET (POST-redirect-GET);
the page, and its pager, read the kept search back. Only harmless criteria
(page number, sort, filter) stay in the URL.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

SESSION_SEARCHES = "kept_searches"


def keep_search(
    session: SessionBase, key: str, data: Mapping[str, Any], fields: Iterable[str]
) -> None:
    """Keep ``fields`` of ``data`` (as typed, trimmed) as the search of ``key``."""
    values = {name: str(data.get(name) or "").strip()[:60] for name in fields}
    kept = dict(session.get(SESSION_SEARCHES, {}))
    if any(values.values()):
        kept[key] = {name: value for name, value in values.items() if value}
    else:
        kept.pop(key, None)
    session[SESSION_SEARCHES] = kept


def kept_search(session: SessionBase, key: str) -> dict[str, str]:
    """The search kept for ``key``; empty when there is none."""
    return dict(session.get(SESSION_SEARCHES, {}).get(key, {}))
