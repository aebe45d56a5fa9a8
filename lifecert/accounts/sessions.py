"""Database sessions, read in one statement written once (SESSION_ENGINE)."""

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    """Django's database session store; the read on every request skips the ORM.

    Same row and same expiry test (``expire_date`` after now) as
    ``db.SessionStore``; an unknown or expired key starts a new session as
    there. Writes are Django's own.
    """

    def _get_session_from_db(self) -> Any:
        if self.session_key is None:
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)}"  # noqa: S608 identifiers from model metadata
                f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [
                    self.session_key,
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                ],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
