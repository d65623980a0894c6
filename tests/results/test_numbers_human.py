"""kubetune.numbers: the one rule for numbers shown to people."""
from __future__ import annotations

from kubetune.numbers import human, human_assignments, signed


def test_human_rounds_non_integers_only():
    assert human(0.00012272880785758138) == "0.0001227"
    assert human("0.7247953074960841") == "0.7248"
    assert human("64") == "64" and human(7) == "7" and human("adam") == "adam"
    assert human(3.0) == "3" and human("1e-05") == "1e-05"
    assert human(None) == "-" and human(True) == "true"
    assert human(123456789.123) == "1.235e+08"
    assert human("nan") == "nan" and human(float("inf")) == "inf"
    assert human(0.7247953074960841, digits=6) == "0.724795"


def test_assignments_and_differences():
    text = human_assignments({"lr": "0.00012272880785758138", "optimizer": "adam", "momentum": "0.9"},
                             inactive={"momentum"})
    assert text == "lr=0.0001227 optimizer=adam momentum=(inactive)"
    assert signed(0.02777777) == "+0.02778" and signed(-0.5) == "-0.5" and signed(0.0) == "±0"
