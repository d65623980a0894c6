"""Pipeline parameters given as NAME=VALUE text: booleans read with the trainer's words."""

from __future__ import annotations

import pytest

from kubetune.steps.params import ParameterError, convert
from trainer.booleans import FALSE_WORDS, TRUE_WORDS


def test_boolean_parameters_accept_the_trainers_words() -> None:
    for word in sorted(TRUE_WORDS | FALSE_WORDS):
        assert convert("flag", word, bool) is (word in TRUE_WORDS)
        assert convert("flag", word.upper(), bool) is (word in TRUE_WORDS)


def test_a_bad_boolean_names_the_parameter() -> None:
    with pytest.raises(ParameterError, match=r"pipeline parameter flag: 'maybe' is not a boolean \(true/false\)"):
        convert("flag", "maybe", bool)
