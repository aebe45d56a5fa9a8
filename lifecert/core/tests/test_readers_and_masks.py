"""The environment readers and the masks: plain functions, no database."""

import pytest

from lifecert.core.env import EnvError, envbool, envfloat, envint, envlist, envstr
from lifecert.core.masking import mask_id, mask_name, mask_phone


def test_a_secret_comes_from_its_file_first(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("LIFECERT_T_SECRET", "from-env")
    assert envstr("LIFECERT_T_SECRET") == "from-env"
    monkeypatch.setenv("LIFECERT_T_SECRET_FILE", str(secret))
    assert envstr("LIFECERT_T_SECRET") == "from-file"
    assert envstr("LIFECERT_T_UNSET", "default") == "default"


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), (" Yes ", True), ("off", False), ("", False)]
)
def test_booleans_are_read_in_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("LIFECERT_T_FLAG", raw)
    assert envbool("LIFECERT_T_FLAG", not value) is value


def test_unset_values_fall_back_to_their_defaults(monkeypatch):
    monkeypatch.delenv("LIFECERT_T_UNSET", raising=False)
    assert envbool("LIFECERT_T_UNSET", True) is True
    assert envint("LIFECERT_T_UNSET", 7) == 7
    assert envfloat("LIFECERT_T_UNSET", 1.5) == 1.5
    assert envlist("LIFECERT_T_UNSET", ["a"]) == ["a"]
    monkeypatch.setenv("LIFECERT_T_BLANK", " ")
    assert envint("LIFECERT_T_BLANK", 7) == 7
    assert envfloat("LIFECERT_T_BLANK", 1.5) == 1.5


def test_numbers_and_lists_are_parsed(monkeypatch):
    monkeypatch.setenv("LIFECERT_T_INT", "42")
    monkeypatch.setenv("LIFECERT_T_FLOAT", "0.25")
    monkeypatch.setenv("LIFECERT_T_LIST", " a.example, ,b.example ")
    assert envint("LIFECERT_T_INT", 0) == 42
    assert envfloat("LIFECERT_T_FLOAT", 0.0) == 0.25
    assert envlist("LIFECERT_T_LIST", []) == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("reader", "raw"),
    [(envbool, "maybe"), (envint, "4.5"), (envfloat, "one")],
)
def test_a_bad_value_fails_loudly_with_its_name(monkeypatch, reader, raw):
    monkeypatch.setenv("LIFECERT_T_BAD", raw)
    with pytest.raises(EnvError, match="LIFECERT_T_BAD"):
        reader("LIFECERT_T_BAD", 0)


def test_masks_hide_the_middle_of_short_and_empty_values_too():
    assert mask_id(None) == mask_name("") == mask_phone(None) == ""
    assert mask_id("12345678") == "1*******"
    assert mask_name("王") == "王"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_phone("12345") == "*****"
