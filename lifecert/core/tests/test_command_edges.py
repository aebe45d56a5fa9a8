"""Edges of the maintenance commands and of the literal lookup."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db


def test_the_chain_check_counts_rows_not_yet_linked(personas, capsys):
    # Without a commit the on-commit hook that links the row never runs.
    audit.record(
        AuditAction.ENTITLEMENT_STATUS,
        acting_user=personas.staff,
        target=personas.entitlement,
    )
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert "审计日志哈希链完好" in out
    assert "另有 1 条尚未入链" in out


def test_rotating_without_a_data_key_fails_as_a_command(settings):
    settings.LIFECERT_DATA_KEYS = []
    with pytest.raises(CommandError, match="LIFECERT_DATA_KEYS"):
        call_command("rotate_data_key")


def test_the_literal_lookup_takes_only_an_identifier():
    with pytest.raises(ValueError, match="not a literal"):
        str(Entitlement.objects.filter(status__literal="normal' OR 1=1 --").query)
