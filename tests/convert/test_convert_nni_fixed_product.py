"""NNI 1.x's FixedProductTuner (seed 000): the allowed (alpha, beta, gamma) triples for product 2,
tolerance 0.1 over the EfficientNet example's grid, in NNI's count and order, and the converter's
categorical `scaling` parameter built from them."""
from __future__ import annotations

from collections import Counter

import pytest

from kubetune.convert import convert_nni
from kubetune.algorithms.nni_fixed_product import (
    allowed_triples,
    expand_grid,
    fixed_product_configs,
    format_triple,
    parse_triple,
    product_of,
)

SEARCH_NET = {"alpha": {"_type": "quniform", "_value": [1.0, 2.0, 0.05]},
              "beta": {"_type": "quniform", "_value": [1.0, 1.5, 0.05]},
              "gamma": {"_type": "quniform", "_value": [1.0, 1.5, 0.05]}}


def test_grid_is_nni_1x_enumeration():
    grid = expand_grid(SEARCH_NET)
    assert len(grid) == 21 * 11 * 11 == 2541
    # first key outermost, values as NNI computes them (k * 0.05 in float64)
    assert [tuple(c.values()) for c in grid[:3]] == [(1.0, 1.0, 1.0), (1.0, 1.0, 1.05), (1.0, 1.0, 1.1)]
    assert grid[11]["beta"] == 1.05 and grid[3]["gamma"] == 1.1500000000000001 and grid[-1] == {
        "alpha": 2.0, "beta": 1.5, "gamma": 1.5}


def test_product_2_tolerance_01_matches_nni_count_and_order():
    triples = allowed_triples(SEARCH_NET, 2)
    assert len(triples) == 109
    assert triples[:4] == [(1.0, 1.0, 1.4000000000000001), (1.0, 1.05, 1.35), (1.0, 1.1, 1.3),
                           (1.0, 1.1500000000000001, 1.2000000000000002)]
    per_alpha = Counter(round(a, 2) for a, _, _ in triples)
    assert [per_alpha[round(1 + i * 0.05, 2)] for i in range(21)] == [
        11, 10, 11, 9, 11, 6, 7, 5, 5, 6, 4, 4, 3, 3, 3, 2, 2, 2, 3, 1, 1]
    # the nine that maxTrialNum 100 never reaches under NNI
    assert [round(a, 2) for a, _, _ in triples[100:]] == [1.8, 1.8, 1.85, 1.85, 1.9, 1.9, 1.9, 1.95, 2.0]
    products = [product_of(*t) for t in triples]
    assert all(abs(p - 2) < 0.1 for p in products)
    assert round(min(products), 3) == 1.9 and round(max(products), 3) == 2.099
    assert (1.2000000000000002, 1.1, 1.1500000000000001) in triples  # the paper's (1.2, 1.1, 1.15)
    # NNI order = grid order filtered
    grid = [tuple(c.values()) for c in expand_grid(SEARCH_NET)]
    assert sorted(triples, key=grid.index) == triples


def test_triples_round_trip_as_strings_and_other_keys_pass_through():
    for t in allowed_triples(SEARCH_NET, 2):
        assert parse_triple(format_triple(t)) == t
    space = {**SEARCH_NET, "lr": {"_type": "choice", "_value": [0.1, 0.01]}}
    configs = fixed_product_configs(space, 2)
    assert len(configs) == 218 and configs[0] == {"alpha": 1.0, "beta": 1.0, "gamma": 1.4000000000000001, "lr": 0.1}
    assert fixed_product_configs({"lr": {"_type": "choice", "_value": [1, 2]}}, 2) == [{"lr": 1}, {"lr": 2}]


def test_converter_lists_nni_first_100_triples_for_grid(nni_files, v1):
    v1["tuner"] = {"codeDir": ".", "classFileName": "tuner.py", "className": "FixedProductTuner",
                   "classArgs": {"product": 2}}
    v1["maxTrialNum"] = 100
    result = convert_nni(nni_files(v1, SEARCH_NET))
    spec = result.document["spec"]
    assert spec["algorithm"] == {"algorithmName": "grid"} and spec["maxTrialCount"] == 100
    [param] = spec["parameters"]
    assert param["name"] == "scaling" and param["parameterType"] == "categorical"
    assert param["feasibleSpace"]["list"] == [format_triple(t) for t in allowed_triples(SEARCH_NET, 2)[:100]]
    assert "the last 9 never ran under NNI either" in result.text
    v1["maxTrialNum"] = 500
    result = convert_nni(nni_files(v1, SEARCH_NET))
    assert len(result.document["spec"]["parameters"][0]["feasibleSpace"]["list"]) == 109
    assert result.document["spec"]["maxTrialCount"] == 109  # clamped to the grid, as Katib requires


@pytest.mark.parametrize("space,message", [
    ({"alpha": SEARCH_NET["alpha"], "beta": SEARCH_NET["beta"]}, "lacks gamma"),
    ({**SEARCH_NET, "lr": {"_type": "uniform", "_value": [0, 1]}}, "enumerates only choice, randint and quniform"),
])
def test_converter_rejects_spaces_the_tuner_cannot_handle(nni_files, v2, space, message):
    from kubetune.convert import ConvertError

    v2["tuner"] = {"className": "tuner.FixedProductTuner", "codeDirectory": ".", "classArgs": {"product": 2}}
    with pytest.raises(ConvertError, match=message):
        convert_nni(nni_files(v2, space))
