"""The clerk's ticks and the confirmation of 保存, kept on the server.

A browser restores form state by position (Back, reload): "row 2 ticked" comes
back on a list whose row 2 is now someone else. So the browser never carries
the selection nor the decision to certify:

- each list page carries a signed list of the public ids it displays
  (``sign_shown``); a tick is accepted only for an id of that list, so a
  restored or crafted form can tick only people that page showed;
- the selection lives in the Django session, per binding (多绑切换 keeps one
  selection per unit number), and survives paging;
- 保存 opens a confirmation listing names and masked ID numbers; showing it
  stores a one-time token with exactly the set shown (``Confirmation``). The
  save certifies that set, never the form's contents, and takes the token out
  of the session first, so a second submit (Back, reload, another tab holding
  an older confirmation) certifies nobody.
"""

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core import signing

from lifecert.accounts.models import UnitBinding

from .access import Review, Search

SESSION_SELECTION = "employer_selection"
SESSION_CONFIRMATION = "employer_confirmation"
SHOWN_SALT = "lifecert.employer.shown"
# A list page left open over a working day still accepts its ticks.
SHOWN_MAX_AGE = 12 * 3600


def _key(binding: UnitBinding) -> str:
    return str(binding.public_id)


def sign_shown(binding: UnitBinding, public_ids: Iterable[Any]) -> str:
    """The hidden field naming the rows a page displays, signed for this binding."""
    return signing.dumps(
        {"b": _key(binding), "ids": [str(value) for value in public_ids]},
        salt=SHOWN_SALT,
        compress=True,
    )


def read_shown(binding: UnitBinding, token: str) -> set[str] | None:
    """The public ids a page displayed; ``None`` if forged, expired or not ours."""
    try:
        data = signing.loads(token, salt=SHOWN_SALT, max_age=SHOWN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("b") != _key(binding):
        return None
    return {str(value) for value in data.get("ids", [])}


@dataclass
class Selection:
    """已选: public ids in the order they were ticked, and the 选择全部 search.

    ``origin`` is the list's search when 保存 was pressed, to go back to.
    """

    ids: list[str]
    matching: Search | None = None
    origin: Search = field(default_factory=Search)

    def __len__(self) -> int:
        return len(self.ids)


def get_selection(session: SessionBase, binding: UnitBinding) -> Selection:
    stored = session.get(SESSION_SELECTION, {}).get(_key(binding))
    if not stored:
        return Selection([])
    matching = stored.get("all")
    return Selection(
        list(stored.get("ids", [])),
        Search(**matching) if matching is not None else None,
        Search(**stored.get("origin", {})),
    )


def _put(session: SessionBase, binding: UnitBinding, selection: Selection) -> None:
    everything = dict(session.get(SESSION_SELECTION, {}))
    if selection.ids or selection.matching is not None:
        everything[_key(binding)] = {
            "ids": selection.ids,
            "all": vars(selection.matching) if selection.matching else None,
            "origin": vars(selection.origin),
        }
    else:
        everything.pop(_key(binding), None)
    session[SESSION_SELECTION] = everything


def update_selection(
    session: SessionBase,
    binding: UnitBinding,
    *,
    shown: set[str],
    ticked: set[str],
    limit: int,
) -> tuple[Selection, bool]:
    """Apply one page's ticks: ticked rows join, shown but unticked rows leave.

    Returns the selection and whether ``limit`` kept some ticks out. The
    选择全部 choice is dropped: it is made again with the 保存 that uses it.
    """
    selection = get_selection(session, binding)
    kept = [value for value in selection.ids if value not in shown or value in ticked]
    known = set(kept)
    added = [value for value in sorted(ticked) if value not in known]
    room = max(limit - len(kept), 0)
    selection = Selection(kept + added[:room], origin=selection.origin)
    _put(session, binding, selection)
    return selection, len(added) > room


def choose_matching(
    session: SessionBase,
    binding: UnitBinding,
    search: Search | None,
    *,
    origin: Search,
) -> None:
    """保存 with 选择全部符合查询条件的人员 (``search``), or the ticks (``None``).

    ``origin``: the search of the list 保存 was pressed on.
    """
    selection = get_selection(session, binding)
    selection.matching, selection.origin = search, origin
    _put(session, binding, selection)


def clear_selection(session: SessionBase, binding: UnitBinding) -> None:
    _put(session, binding, Selection([]))


@dataclass(frozen=True)
class Confirmation:
    """What one confirmation page showed, to be certified exactly once."""

    token: str
    ids: tuple[str, ...] = ()  # the people listed, when the page lists them all
    search: Search | None = None  # the bulk beyond the list limit: its criteria
    digest: str = ""  # ... and the fingerprint of the set it counted
    total: int = 0
    origin: Search = field(default_factory=Search)  # the list to go back to

    def entitlement_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(value) for value in self.ids]


def issue_confirmation(
    session: SessionBase,
    binding: UnitBinding,
    review: Review,
    *,
    origin: Search,
) -> Confirmation:
    """Remember what this confirmation shows; it replaces any older one of the unit."""
    confirmation = Confirmation(
        token=secrets.token_urlsafe(16),
        ids=() if review.digest else tuple(str(row.public_id) for row in review.rows),
        search=review.search if review.digest else None,
        digest=review.digest,
        total=review.total,
        origin=origin,
    )
    everything = dict(session.get(SESSION_CONFIRMATION, {}))
    everything[_key(binding)] = {
        "token": confirmation.token,
        "ids": list(confirmation.ids),
        "search": vars(confirmation.search) if confirmation.search else None,
        "digest": confirmation.digest,
        "total": confirmation.total,
        "origin": vars(origin),
    }
    session[SESSION_CONFIRMATION] = everything
    return confirmation


def take_confirmation(
    session: SessionBase, binding: UnitBinding, token: str
) -> Confirmation | None:
    """The confirmation ``token`` names, taken out of the session; ``None`` if used.

    Only the unit's latest confirmation is valid: a page showing an older one
    (another tab, Back) is stale and gets ``None`` without spending the newer.
    """
    everything = dict(session.get(SESSION_CONFIRMATION, {}))
    stored = everything.get(_key(binding))
    if not stored or not token or not secrets.compare_digest(stored["token"], token):
        return None
    del everything[_key(binding)]
    session[SESSION_CONFIRMATION] = everything
    search = stored.get("search")
    return Confirmation(
        token=stored["token"],
        ids=tuple(stored.get("ids", ())),
        search=Search(**search) if search is not None else None,
        digest=stored.get("digest", ""),
        total=stored.get("total", 0),
        origin=Search(**stored.get("origin", {})),
    )
