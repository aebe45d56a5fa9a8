"""Tokens and calls for the API tests."""

from typing import Any

from django.test import Client

from lifecert.api.models import Scope
from lifecert.api.services import issue_token

ALL_SCOPES = list(Scope.values)


def token_for(
    region: Any = None, scopes: list[str] | None = None, name: str = "医保比对系统"
) -> str:
    _, plain = issue_token(
        system_name=name,
        scopes=scopes or ALL_SCOPES,
        region=region,
        acting_user=None,
    )
    return plain


def call(
    client: Client, path: str, token: str | None, body: Any = None, **query: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is None:
        return client.get(path, query, headers=headers)
    return client.post(path, body, content_type="application/json", headers=headers)
