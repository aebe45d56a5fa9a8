"""Excel imports of evidence from other agencies: death records and data comparison.

The sheet is read here; every rule lives in ``evidence.py``, the one row-level
service the integration API uses too. The whole file is checked first, every
bad row is reported with its number and reason, and nothing is written unless
every row is good.
"""

from typing import Any

from lifecert.registry.ids import compact
from lifecert.registry.imports import ImportRejected, cell_date, cell_text, read_rows
from lifecert.registry.models import Region

from .evidence import (
    DATE_LABEL,
    EvidenceRejected,
    EvidenceResult,
    EvidenceRow,
    Kind,
    RowError,
    apply_rows,
)

DEATH_COLUMNS = ["社会保障号码", "姓名", "死亡日期"]
COMPARISON_COLUMNS = ["社会保障号码", "姓名", "比对日期", "数据来源"]
COLUMNS = {Kind.DEATHS: DEATH_COLUMNS, Kind.COMPARISON: COMPARISON_COLUMNS}

__all__ = [
    "COMPARISON_COLUMNS",
    "DEATH_COLUMNS",
    "EvidenceResult",
    "import_comparison",
    "import_deaths",
    "sheet_rows",
]


def sheet_rows(data: bytes, kind: Kind) -> list[EvidenceRow]:
    """The sheet's data rows, numbered as Excel shows them; raises ImportRejected."""
    columns = COLUMNS[kind]
    header, rows = read_rows(data)
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRejected([(1, f"表头缺少列：{'、'.join(missing)}。")])
    if not rows:
        raise ImportRejected([(2, "文件中没有数据行。")])
    position = {c: header.index(c) for c in columns}
    date_column = DATE_LABEL[kind]
    result = []
    for number, raw in rows:
        values = {
            c: raw[position[c]] if position[c] < len(raw) else None for c in columns
        }
        result.append(
            EvidenceRow(
                number=number,
                ssn=compact(cell_text(values["社会保障号码"])),
                name=cell_text(values["姓名"]),
                date=cell_date(values[date_column]),
                date_text=cell_text(values[date_column]),
                source=cell_text(values.get("数据来源")),
            )
        )
    return result


def _sheet_errors(errors: list[RowError]) -> list[tuple[int, str]]:
    """One line per row, its problems joined, as the import page lists them."""
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row or 0, []).append(error.message)
    return [(row, "；".join(messages)) for row, messages in by_row.items()]


def _import(
    kind: Kind,
    data: bytes,
    *,
    acting_user: Any,
    regions: list[Region],
    ip: str | None,
    dry_run: bool,
) -> EvidenceResult:
    rows = sheet_rows(data, kind)
    try:
        return apply_rows(
            kind,
            rows,
            acting_user=acting_user,
            regions=regions,
            ip=ip,
            dry_run=dry_run,
        )
    except EvidenceRejected as exc:
        raise ImportRejected(_sheet_errors(exc.errors)) from None


def import_deaths(
    data: bytes,
    *,
    acting_user: Any,
    regions: list[Region],
    ip: str | None = None,
    dry_run: bool = False,
) -> EvidenceResult:
    """Terminate the pensions of the deceased; record overpayments to recover."""
    return _import(
        Kind.DEATHS,
        data,
        acting_user=acting_user,
        regions=regions,
        ip=ip,
        dry_run=dry_run,
    )


def import_comparison(
    data: bytes,
    *,
    acting_user: Any,
    regions: list[Region],
    ip: str | None = None,
    dry_run: bool = False,
) -> EvidenceResult:
    """数据比对: evidence of life from other records becomes a silent certification."""
    return _import(
        Kind.COMPARISON,
        data,
        acting_user=acting_user,
        regions=regions,
        ip=ip,
        dry_run=dry_run,
    )
