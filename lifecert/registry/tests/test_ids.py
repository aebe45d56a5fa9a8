import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecert.registry.forms import SocialSecurityNumberField
from lifecert.registry.ids import (
    InvalidNumber,
    birth_date,
    gender,
    is_valid_ssn,
    validate_ssn,
    with_check_character,
)

COUNTIES = ["440103", "440106", "440304", "440604", "430603", "110101", "310104"]
births = st.dates(
    min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2005, 12, 31)
)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    county = draw(st.sampled_from(COUNTIES))
    born = draw(births)
    seq = draw(st.integers(0, 999))
    return with_check_character(f"{county}{born:%Y%m%d}{seq:03d}")


def test_the_guides_example_is_valid():
    assert validate_ssn("43060319920301203X") == "43060319920301203X"
    assert validate_ssn("43060319920301203x") == "43060319920301203X"


@given(valid_numbers())
def test_generated_numbers_are_valid_and_carry_their_birth_date(number):
    assert validate_ssn(number) == number
    assert birth_date(number) == datetime.date(
        int(number[6:10]), int(number[10:12]), int(number[12:14])
    )
    assert gender(number) in {"M", "F"}


@given(valid_numbers(), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_rejected(number, other):
    if other == number[-1]:
        return
    with pytest.raises(InvalidNumber) as exc:
        validate_ssn(number[:-1] + other)
    assert exc.value.code == "checksum"
    assert "校验位" in exc.value.message


@given(valid_numbers(), st.integers(0, 16), st.integers(1, 9))
def test_changing_one_digit_is_never_accepted(number, position, delta):
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert not is_valid_ssn(changed)


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_residence_permit_numbers_use_the_same_checksum(prefix):
    number = with_check_character(f"{prefix}19600101001")
    assert validate_ssn(number) == number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert not is_valid_ssn(wrong)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4306031992030120", "length"),
        ("43060319920301203Y", "format"),
        (with_check_character("44010619550230123"), "birth_date"),  # 30 February
        (with_check_character("44010621990101123"), "birth_date"),  # in the future
        (with_check_character("99999919550101123"), "region"),
    ],
)
def test_bad_numbers_say_why(number, code):
    with pytest.raises(InvalidNumber) as exc:
        validate_ssn(number, today=datetime.date(2026, 11, 26))
    assert exc.value.code == code


def test_counties_created_after_the_birth_year_are_accepted():
    # 天河区 (440106) was created in 1985, after pensioners born in 1955.
    assert is_valid_ssn(with_check_character("44010619550515123"))


@pytest.mark.django_db
def test_legacy_codes_are_accepted_only_when_registered():
    from django import forms

    from lifecert.demo.testing import make_person

    field = SocialSecurityNumberField()
    legacy = "H0123456789"
    with pytest.raises(forms.ValidationError):
        field.clean(legacy)
    make_person(ssn=legacy.upper(), legacy_code=True)
    assert field.clean(legacy) == legacy


def test_compact_keeps_a_compact_number_and_cleans_the_rest():
    from lifecert.registry.ids import compact

    assert compact("43060319920301203X") == "43060319920301203X"
    assert compact(" 430603 19920301 203x ") == "43060319920301203X"
    assert compact("") == compact(None) == ""  # type: ignore[arg-type]


def test_full_width_digits_and_x_are_the_same_number():
    """A Chinese input method in full-width mode types ４３…Ｘ: the number is
    right, and was refused as 前 17 位应为数字 or 校验位错误."""
    from lifecert.registry.ids import compact

    full_width = "４３０６０３　１９９２０３０１２０３ｘ"
    assert compact(full_width) == "43060319920301203X"
    assert validate_ssn(full_width) == "43060319920301203X"
    ends_in_a_digit = with_check_character("44010419400101001")
    assert ends_in_a_digit[-1].isdigit()
    typed = "".join(chr(ord(c) + 0xFEE0) for c in ends_in_a_digit)
    assert validate_ssn(typed) == ends_in_a_digit


def test_digits_of_other_scripts_are_not_a_number():
    with pytest.raises(InvalidNumber) as exc:
        validate_ssn("٤٣٠٦٠٣١٩٩٢٠٣٠١٢٠٣X")
    assert exc.value.code == "format"
