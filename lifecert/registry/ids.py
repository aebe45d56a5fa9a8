"""Social security numbers (社会保障号码).

Mainland citizen numbers follow GB 11643 and are checked by ``stdnum.cn.ric``
(check character, real birth date, region code valid in the birth year). Hong Kong,
Macao and Taiwan residence permit numbers (prefix 810000 / 820000 / 830000) use
the same checksum but no county code, which ``stdnum`` rejects, so they are checked
here on top of its pieces. Legacy codes from Guangdong's 2014 rule are accepted
only when the registry already holds them; that check lives in the forms.
"""

import datetime
import re
import unicodedata

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

PERMIT_PREFIXES = {"810000": "香港", "820000": "澳门", "830000": "台湾"}


class InvalidNumber(ValueError):
    """The number is not a valid social security number; ``message`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# A number already compact: ``ric.compact`` would return it unchanged, one
# character at a time (a tenth of a pushed batch's Python time).
COMPACT = re.compile("[0-9]{17}[0-9X]")


def compact(number: str) -> str:
    """The number without spaces or dashes, ``x`` as ``X``, and full-width
    characters (a Chinese input method's ０–９ and Ｘ, its ideographic space)
    as the ASCII ones: people type them, and they are the same number."""
    if COMPACT.fullmatch(number or ""):
        return number
    return ric.compact(unicodedata.normalize("NFKC", number or "")).replace(" ", "")


def _check_birth_date(number: str, today: datetime.date | None) -> datetime.date:
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError as exc:
        raise InvalidNumber(
            "birth_date", "号码中的出生日期（第 7 至 14 位）不是有效日期。"
        ) from exc
    today = today or datetime.date.today()  # noqa: DTZ011 a calendar date, not a moment
    if born.year < 1890 or born > today:
        raise InvalidNumber(
            "birth_date", "号码中的出生日期（第 7 至 14 位）不在合理范围内。"
        )
    return born


def validate_ssn(number: str, *, today: datetime.date | None = None) -> str:
    """Return the compact number or raise ``InvalidNumber`` with a Chinese reason."""
    number = compact(number)
    if len(number) != 18:
        raise InvalidNumber("length", "社会保障号码应为 18 位，请核对后重新输入。")
    if not COMPACT.fullmatch(number):
        raise InvalidNumber(
            "format", "社会保障号码前 17 位应为数字，最后一位为数字或 X。"
        )
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidNumber(
            "checksum", "社会保障号码校验位（最后一位）错误，请核对后重新输入。"
        )
    born = _check_birth_date(number, today)
    if number[:6] in PERMIT_PREFIXES:
        return number
    if not _region_existed_since(number[:6], born.year):
        raise InvalidNumber("region", "号码前 6 位的地区代码无效，请核对后重新输入。")
    return number


def _region_existed_since(code: str, year: int) -> bool:
    """Whether the county code existed at some time from ``year`` on.

    ``stdnum`` wants the code valid in the birth year, but numbers were first
    issued in 1985 onwards: a pensioner born in 1955 in 天河区 (created 1985)
    holds a real 440106 1955 number. So the code must have existed at or after
    the birth year, not in it.
    """
    try:
        ric.get_birth_place(code + f"{year:04d}0101" + "0000")
    except stdnum_errors.ValidationError:
        pass
    else:
        return True
    from stdnum import numdb

    info = {
        k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()
    }
    for county in info.get("county", "").split(","):
        if not county.startswith("["):
            return bool(county)
        end = county[1:].split("]")[0].split("-")[1]
        if not end or int(end) >= year:
            return True
    return False


def is_valid_ssn(number: str) -> bool:
    try:
        validate_ssn(number)
    except InvalidNumber:
        return False
    return True


def birth_date(number: str) -> datetime.date | None:
    """The birth date a valid 18-digit number carries; ``None`` for legacy codes."""
    try:
        return ric.get_birth_date(compact(number))
    except (stdnum_errors.ValidationError, ValueError):
        return None


def gender(number: str) -> str:
    """``M`` or ``F`` from the sequence digit (odd for men); ``""`` when unknown."""
    number = compact(number)
    if len(number) != 18 or not number[16].isdigit():
        return ""
    return "M" if int(number[16]) % 2 else "F"


def with_check_character(first17: str) -> str:
    """Complete 17 digits with their check character (used by the demo data)."""
    return first17 + ric.calc_check_digit(first17 + "0")
