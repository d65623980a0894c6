"""One set of true/false words for every reader of text booleans (config, model kwargs; kubetune's
pipeline parameters: tests/pipeline/test_pipeline_params.py)."""

from __future__ import annotations

import pytest

from trainer.booleans import FALSE_WORDS, TRUE_WORDS, parse_bool


@pytest.mark.parametrize("raw", [True, 1, 1.0, *sorted(TRUE_WORDS), "TRUE", " Yes "])
def test_true(raw) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", [False, 0, *sorted(FALSE_WORDS), "False", "OFF"])
def test_false(raw) -> None:
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", ["", "maybe", 2, None, "tru"])
def test_anything_else_is_an_error(raw) -> None:
    with pytest.raises(ValueError, match="expected a boolean"):
        parse_bool(raw)


def test_config_flags_and_model_kwargs_read_the_same_words() -> None:
    from trainer.config import build_config, parse_cli
    from trainer.models.registry import _coerce

    for word in sorted(TRUE_WORDS | FALSE_WORDS):
        expected = word in TRUE_WORDS
        assert build_config(parse_cli([f"--cache={word}"]).assignments).cache is expected
        assert _coerce("m", "flag", word, bool) is expected
