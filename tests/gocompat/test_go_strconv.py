"""Go's strconv.ParseFloat, as Katib reads metric values."""
import math

import pytest

from kubetune.gocompat.strconv import go_parse_float

FLOAT_CASES = [
    ("1", 1.0), ("1.5", 1.5), (".5", 0.5), ("5.", 5.0), ("-7.53e-05", -7.53e-05), ("1E0", 1.0), ("+3", 3.0),
    ("00.50", 0.5), ("1e-400", 0.0),
    ("inf", math.inf), ("-Inf", -math.inf), ("+Infinity", math.inf), ("INFINITY", math.inf),
    ("0x1p-2", 0.25), ("0x1.8p1", 3.0), ("-0X.8P0", -0.5),
    ("1_000", 1000.0), ("1_23.50_0_0e+1_2", 1.235e14), ("0x_1p0", 1.0),
    # errors in Go
    ("1e400", None), ("-1e400", None), ("0x1p2000", None),  # out of range is an error, not +-Inf
    ("+nan", None), ("infin", None), ("0x10", None), ("1__0", None), ("_1", None), ("1_", None),
    ("1_.5", None), (" 1", None), ("1 ", None), ("", None), ("abc", None), ("1e", None), (".", None),
    ("-", None), ("e5", None), ("\u0663", None), ("1,5", None), ("unavailable", None),
]


@pytest.mark.parametrize("text,expected", FLOAT_CASES)
def test_go_parse_float(text, expected):
    assert go_parse_float(text) == expected


def test_go_parse_float_nan():
    assert math.isnan(go_parse_float("NaN")) and math.isnan(go_parse_float("nan"))
