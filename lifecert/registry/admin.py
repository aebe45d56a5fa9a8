from django.contrib import admin

from lifecert.core.admin import AuditedModelAdmin

from .models import Entitlement, Person, Region, Unit


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ["code", "name"]


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin):
    list_display = ["name", "masked_ssn", "birth_date", "death_date"]
    # The admin's search is a GET (?q=): by name only, so no ID number lands in
    # a URL; by number, staff use 参保人 in the back office (a POST).
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["number", "name", "region"]
    search_fields = ["=number", "name"]
    list_filter = ["region"]


@admin.register(Entitlement)
class EntitlementAdmin(AuditedModelAdmin):
    list_display = ["person", "region", "unit", "status", "last_certified_at"]
    list_filter = ["region", "status"]
    raw_id_fields = ["person", "unit"]
    search_fields = ["person__name"]  # not the number: see PersonAdmin
