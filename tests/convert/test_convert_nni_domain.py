"""Every NNI search-space type, sampled by the local engine's algorithms and decoded by the shim,
stays in NNI's domain: bounds, q grids (NNI's exact floats), randint's exclusive upper bound,
choice values with their JSON types, nested choices as {"_name": ..., sub: ...}.

The space is data/all_types.json (our equivalent of NNI's test/ut/sdk/assets/search_space.json plus
nested choices). Path of a value: converted Experiment -> the engine's suggester -> the engine's
template rendering (${trialParameters.x} into env) -> kubetune.compat.nni.decode_parameters."""
from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from pathlib import Path

import pytest

from kubetune.compat.nni import decode_parameters
from kubetune.convert import convert_nni
from kubetune.convert.nni_space import q_support
from kubetune.algorithms import TrialView, make_suggester
from kubetune.engine.template import primary_container, render_workload
from kubetune.experiment import experiment_from_dict

SPACE = json.loads((Path(__file__).parent / "data" / "all_types.json").read_text())
NUMERIC = {k: v for k, v in SPACE.items() if v["_type"] != "choice"}
POSITIVE = {k: v for k, v in SPACE.items()
            if v["_type"] in ("loguniform", "qloguniform", "lognormal", "qlognormal", "choice", "randint")
            and k != "nested"}
FLAT = {k: v for k, v in SPACE.items() if k != "nested"}


def _convert(nni_files, v2, space: dict, tuner: dict):
    v2["tuner"] = tuner
    v2["maxTrialNumber"] = 10000
    return convert_nni(nni_files(v2, space))


def _sample(doc: dict, n: int, batch: int, seed: int = 0) -> list[dict]:
    """n decoded parameter dicts: suggester -> rendered trial env -> shim decoding."""
    exp = experiment_from_dict(doc)
    suggester = make_suggester(exp.algorithm.name, exp.algorithm.settings, exp.parameters, exp.objective.type,
                               exp.metric_names, seed)
    rng = random.Random(seed)
    views: list[TrialView] = []
    decoded = []
    while len(decoded) < n:
        new = suggester.suggest(min(batch, n - len(decoded)), views)
        if not new:
            break
        for s in new:
            name = f"{exp.name}-{len(views):05d}"
            workload = render_workload(exp.trial_template, s.assignments, name, exp.namespace)
            container = primary_container(workload, exp.trial_template["primaryContainerName"]).container
            environ = {e["name"]: e["value"] for e in container["env"]}
            decoded.append(decode_parameters(json.loads(environ["KUBETUNE_NNI_SPACE"]), environ))
            value = rng.random()
            views.append(TrialView(name, dict(s.assignments), "Succeeded", value, {"default": value},
                                   dict(s.labels), (value,)))
    return decoded


def _same_json(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def check_value(spec: dict, value, where: str, seen: dict) -> None:
    """Assert `value` is something NNI can deliver for `spec`; record it in `seen`."""
    t, v = spec["_type"], spec["_value"]
    if t == "choice":
        if all(isinstance(o, dict) and "_name" in o for o in v):
            assert isinstance(value, dict), where
            options = [o for o in v if o["_name"] == value.get("_name")]
            assert options, f"{where}: {value}"
            subs = {k: s for k, s in options[0].items() if k != "_name"}
            assert set(value) == {"_name"} | set(subs), f"{where}: {value} (only the chosen option's keys)"
            seen[where].add(value["_name"])
            for k, s in subs.items():
                check_value(s, value[k], f"{where}.{value['_name']}.{k}", seen)
            return
        assert any(_same_json(value, o) for o in v), f"{where}: {value!r} not in {v}"
        seen[where].add(json.dumps(value, sort_keys=True))  # 1, 1.0, true and "true" stay distinct
        return
    assert type(value) is (int if t == "randint" else float), f"{where}: {value!r} is {type(value).__name__}"
    assert math.isfinite(value), where
    if t == "randint":
        assert v[0] <= value < v[1], f"{where}: {value} outside [{v[0]}, {v[1]})"
    elif t in ("uniform", "loguniform"):
        assert v[0] <= value <= v[1], f"{where}: {value}"
    elif t in ("quniform", "qloguniform"):
        assert value in q_support(*v), f"{where}: {value!r} is not on NNI's q grid {q_support(*v)[:8]}..."
    elif t == "lognormal":
        assert value > 0, where
    elif t in ("qnormal", "qlognormal"):
        assert value == round(value / v[2]) * v[2], f"{where}: {value!r} is not NNI's multiple of {v[2]}"
        assert t == "qnormal" or value >= 0, where
    seen[where].add(value)


def check_all(space: dict, samples: list[dict]) -> dict:
    seen: dict = defaultdict(set)
    for params in samples:
        assert set(params) == set(space)
        for key, spec in space.items():
            check_value(spec, params[key], key, seen)
    return seen


def assert_covered(seen: dict, keys: list[str]) -> None:
    """Every small discrete domain was reached, including clipped q-grid ends; never randint's upper bound."""
    expected = {
        "choice_str": 6, "choice_int": 3, "choice_mixed": 4, "choice_float": 3, "choice_bool": 3, "choice_single": 1,
        "choice_dict": 2, "randint_ok": 5, "randint_single": 1, "quniform_ok": 5, "quniform_clip": 3,
        "quniform_clip_2": 2, "nested": 3, "nested.conv.kernel_size": 3, "nested.pool.pooling_size": 2,
        "nested.pool.inner": 2,
    }
    for key in keys:
        assert len(seen[key]) == expected[key], f"{key}: saw {sorted(map(str, seen[key]))}"
    if "randint_ok" in keys:
        assert seen["randint_ok"] == {-2, -1, 0, 1, 2}
    if "quniform_clip" in keys:
        assert seen["quniform_clip"] == {2.0, 5.0, 10.0}


def test_random_search_every_type_in_domain(nni_files, v2):
    result = _convert(nni_files, v2, SPACE, {"name": "Random", "classArgs": {"seed": 1}})
    samples = _sample(result.document, 600, batch=50)
    assert len(samples) == 600
    seen = check_all(SPACE, samples)
    assert_covered(seen, ["choice_str", "choice_int", "choice_mixed", "choice_float", "choice_bool", "choice_single",
                          "choice_dict", "randint_ok", "randint_single", "quniform_ok", "quniform_clip",
                          "quniform_clip_2", "nested", "nested.conv.kernel_size", "nested.pool.pooling_size",
                          "nested.pool.inner"])
    # randint over 1000 values stays within [0, 999] and reaches both ends' neighbourhood
    assert min(seen["randint_wide"]) < 50 and max(seen["randint_wide"]) > 950


@pytest.mark.slow
def test_tpe_every_type_in_domain(nni_files, v2):
    result = _convert(nni_files, v2, SPACE, {"name": "TPE", "classArgs": {"optimize_mode": "maximize", "seed": 2}})
    samples = _sample(result.document, 120, batch=4)
    assert len(samples) == 120
    check_all(SPACE, samples)


def test_grid_every_type_in_domain(nni_files, v2):
    result = _convert(nni_files, v2, SPACE, {"name": "GridSearch"})
    samples = _sample(result.document, 300, batch=100)
    seen = check_all(SPACE, samples)
    assert_covered(seen, ["choice_single", "randint_single", "nested"])


@pytest.mark.slow
def test_cmaes_bayesian_and_hyperband_stay_in_domain(nni_files, v2):
    evolution = _convert(nni_files, v2, NUMERIC, {"name": "Evolution", "classArgs": {"optimize_mode": "maximize"}})
    assert evolution.document["spec"]["algorithm"]["algorithmName"] == "cmaes"
    check_all(NUMERIC, _sample(evolution.document, 40, batch=10))
    smac = _convert(nni_files, v2, POSITIVE, {"name": "SMAC", "classArgs": {"optimize_mode": "maximize"}})
    assert smac.document["spec"]["algorithm"]["algorithmName"] == "bayesianoptimization"
    check_all(POSITIVE, _sample(smac.document, 12, batch=4))
    hyperband = _convert(nni_files, v2, FLAT, {"name": "Hyperband", "classArgs": {"optimize_mode": "maximize", "R": 9}})
    samples = _sample(hyperband.document, 30, batch=9)
    assert samples and all(1 <= s.pop("TRIAL_BUDGET") <= 9 for s in samples)
    check_all(FLAT, samples)
