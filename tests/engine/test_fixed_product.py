"""`fixed-product` (seed 000's NNI 1.x FixedProductTuner): the grid, its order, exhaustion, the
settings checks, the engine run, and the plain-Katib form."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from engine_helpers import experiment

from kubetune.algorithms import AlgorithmContext, SuggestionError, TrialView, check, make_suggester
from kubetune.algorithms.nni_fixed_product import allowed_triples
from kubetune.algorithms.registry import settings_errors
from kubetune.cli import main
from kubetune.convert.katib_form import katib_form
from kubetune.experiment import Parameter, experiment_from_dict, load_experiment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "compound-scaling" / "experiment.yaml"
KATIB_EXAMPLE = ROOT / "examples" / "compound-scaling" / "katib.yaml"
SEED_GRID = [Parameter("alpha", "double", 1.0, 2.0, 0.05), Parameter("beta", "double", 1.0, 1.5, 0.05),
             Parameter("gamma", "double", 1.0, 1.5, 0.05)]
# nni-semantics section 6: kept (beta, gamma) pairs per alpha for product 2, tolerance 0.1
PER_ALPHA = [11, 10, 11, 9, 11, 6, 7, 5, 5, 6, 4, 4, 3, 3, 3, 2, 2, 2, 3, 1, 1]


def all_suggestions(suggester, batch: int = 7) -> list[dict]:
    views: list[TrialView] = []
    while True:
        new = suggester.suggest(batch, views)
        if not new:
            return [v.assignments for v in views]
        views += [TrialView(f"t{len(views)}", s.assignments, "Succeeded", 0.5, {}, {}) for s in new]


def test_product_2_matches_nni_1x_count_and_order():
    suggester = make_suggester("fixed-product", {"product": "2"}, SEED_GRID, "maximize")
    configs = all_suggestions(suggester)
    assert len(configs) == 109
    triples = [tuple(float(c[k]) for k in ("alpha", "beta", "gamma")) for c in configs]
    assert triples[:4] == [(1.0, 1.0, 1.4000000000000001), (1.0, 1.05, 1.35), (1.0, 1.1, 1.3),
                           (1.0, 1.1500000000000001, 1.2000000000000002)]
    assert configs[0] == {"alpha": "1.0", "beta": "1.0", "gamma": "1.4000000000000001"}  # NNI's exact floats
    assert triples == sorted(triples)  # alpha outermost, then beta, then gamma
    counts = [sum(1 for t in triples if math.isclose(t[0], 1.0 + 0.05 * k)) for k in range(21)]
    assert counts == PER_ALPHA
    assert all(abs(a * b * b * g * g - 2) < 0.1 for a, b, g in triples)
    assert any(math.isclose(a, 1.2) and math.isclose(b, 1.1) and math.isclose(g, 1.15) for a, b, g in triples)
    space = {k: {"_type": "quniform", "_value": [p.min, p.max, p.step]} for k, p in zip(("alpha", "beta", "gamma"),
                                                                                      SEED_GRID)}
    assert triples == allowed_triples(space, 2)  # the converter's computation, shared
    assert suggester.suggest(5, []) == []  # everything handed out: exhausted


def test_resume_skips_configurations_any_trial_has_and_tolerance_narrows():
    first = make_suggester("fixed-product", {"product": "2", "tolerance": "0.02"}, SEED_GRID, "maximize")
    configs = all_suggestions(first)
    assert 0 < len(configs) < 109 and all(
        abs(float(c["alpha"]) * float(c["beta"]) ** 2 * float(c["gamma"]) ** 2 - 2) < 0.02 for c in configs)
    fresh = make_suggester("fixed-product", {"product": "2", "tolerance": "0.02"}, SEED_GRID, "maximize")
    # earlier trials (any state; one written with a tidier float) are never repeated
    done = [TrialView("a", configs[0], "Failed", None, {}, {}),
            TrialView("b", {**configs[1], "gamma": f"{float(configs[1]['gamma']):.12g}"}, "Running", None, {}, {})]
    assert [s.assignments for s in fresh.suggest(2, done)] == configs[2:4]


def test_other_parameters_expand_in_spec_order_like_nni():
    params = [Parameter("lr", "categorical", values=("0.1", "0.01")), *SEED_GRID[:1],
              Parameter("beta", "double", 1.0, 1.2, 0.1), Parameter("gamma", "int", 1, 2)]
    configs = all_suggestions(make_suggester("fixed-product", {"product": "2", "tolerance": "0.3"}, params,
                                             "maximize"))
    assert [c["lr"] for c in configs] == sorted([c["lr"] for c in configs], key=["0.1", "0.01"].index)
    assert len(configs) % 2 == 0 and configs[: len(configs) // 2] == [
        {**c, "lr": "0.1"} for c in configs[len(configs) // 2:]]


@pytest.mark.parametrize("settings, params, words", [
    ({}, SEED_GRID, ["needs the setting product"]),
    ({"product": "two"}, SEED_GRID, ["product", "a number"]),
    ({"product": "2", "tolerance": "0"}, SEED_GRID, ["tolerance", "> 0"]),
    ({"product": "2", "tol": "0.1"}, SEED_GRID, ["unknown setting", "product, tolerance"]),
    ({"product": "2"}, SEED_GRID[:2], ["parameter named gamma"]),
    ({"product": "2"}, [*SEED_GRID[:2], Parameter("gamma", "double", 1.0, 1.5)], ["needs a step"]),
])
def test_settings_errors(settings, params, words):
    ctx = AlgorithmContext.for_parameters("fixed-product", settings, params)
    text = " ".join(str(p) for p in settings_errors(ctx))
    for word in words:
        assert word in text
    with pytest.raises(SuggestionError):
        make_suggester("fixed-product", settings, params, "maximize")


def test_no_allowed_point_is_refused():
    with pytest.raises(SuggestionError, match="within tolerance of product"):
        make_suggester("fixed-product", {"product": "50"}, SEED_GRID, "maximize")


def test_validate_knows_the_algorithm_and_warns_katib_rejects_it():
    exp = load_experiment(EXAMPLE)
    errors, warnings = check(exp)
    assert errors == []
    assert any("Katib cluster rejects it" in str(w) for w in warnings)


def test_engine_runs_the_grid_in_order_and_ends_when_exhausted(run_experiment):
    params = [{"name": n, "parameterType": "double", "feasibleSpace": {"min": "1.0", "max": "1.2", "step": "0.1"}}
              for n in ("alpha", "beta", "gamma")]
    raw = experiment("fp", parameters=params, algorithm="fixed-product",
                     settings={"product": "1.3", "tolerance": "0.1"}, parallel=2, max_trials=50,
                     args=["--x", "${trialParameters.alpha}", "--y", "${trialParameters.beta}", "--epochs", "1"],
                     env=[{"name": "GAMMA", "value": "${trialParameters.gamma}"}])
    result = run_experiment(raw)
    done = next(c for c in result.status["conditions"] if c["type"] == "Succeeded")
    assert done["reason"] == "ExperimentSuggestionEndReached"
    expected = make_suggester("fixed-product", {"product": "1.3", "tolerance": "0.1"},
                              experiment_from_dict(raw).parameters, "maximize").suggest(50, [])
    assert [t.assignments for t in result.trials] == [s.assignments for s in expected]  # NNI order, each once
    assert len(result.trials) in range(2, 27) and all(t.state == "Succeeded" for t in result.trials)


def test_katib_form_is_a_grid_over_the_triples(tmp_path):
    document = yaml.safe_load(EXAMPLE.read_text())
    katib, notes = katib_form(document, str(EXAMPLE))
    spec = katib["spec"]
    assert spec["algorithm"] == {"algorithmName": "grid"}
    assert [p["name"] for p in spec["parameters"]] == ["scaling"]
    triples = spec["parameters"][0]["feasibleSpace"]["list"]
    assert len(triples) == 109 and triples[0] == "1.0,1.0,1.4000000000000001"
    args = spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == "--scaling=${trialParameters.scaling}" and not any("alpha" in a for a in args)
    assert yaml.safe_load(KATIB_EXAMPLE.read_text()) == katib  # the checked-in file is this output
    assert main(["validate", "--strict", str(KATIB_EXAMPLE)]) == 0
    # NNI's seed ran maxTrialNum 100: the Katib grid keeps the first 100 triples, the ones NNI ran
    document["spec"]["maxTrialCount"] = 100
    katib, notes = katib_form(document)
    assert katib["spec"]["parameters"][0]["feasibleSpace"]["list"] == triples[:100]
    assert any("first 100" in str(n) for n in notes)
    out = tmp_path / "katib.yaml"
    assert main(["convert", "katib", str(EXAMPLE), "-o", str(out)]) == 0
    assert out.read_text() == KATIB_EXAMPLE.read_text()
