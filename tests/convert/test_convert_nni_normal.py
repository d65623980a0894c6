"""NNI's normal family through `kubetune convert nni` (issue 14 item 5).

random and tpe (Katib's hyperopt service) draw `distribution: normal/logNormal` as NNI's
(q)normal/(q)lognormal: min/max = mu -/+ 3 sigma (exp of it) give back mu and sigma, the step is
q, nothing is clipped, and kubetune run samples it alike, so `validate --strict` passes with the
distribution kept. Algorithms that cannot sample it get uniform/logUniform on those bounds and a
note; the output passes `--strict` too."""
from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from kubetune.algorithms import check
from kubetune.algorithms.space import ParamCodec
from kubetune.convert import ConvertError, convert_nni
from kubetune.convert.errors import Problems
from kubetune.convert.nni_encode import Encoder
from kubetune.convert.nni_space import parse_space
from kubetune.experiment import experiment_from_dict
from convert_nni_bases import convert_cli

NORMAL_SPACE = {"a": {"_type": "normal", "_value": [0, 1]}, "b": {"_type": "qnormal", "_value": [10, 2, 1]},
                "c": {"_type": "lognormal", "_value": [-3, 0.5]}, "d": {"_type": "qlognormal", "_value": [1, 0.5, 1]},
                "e": {"_type": "qnormal", "_value": [-1.5, 5, 0.1]}}


def _nni_value(t: str, mu: float, sigma: float, q: float | None, u: float) -> float:
    """NNI's value at quantile u (nni-semantics: round(N(mu, sigma) / q) * q, exp for log types)."""
    x = NormalDist(mu, sigma).inv_cdf(u)
    x = math.exp(x) if "log" in t else x
    return round(x / q) * q if q is not None else x


@pytest.mark.parametrize("tuner, algorithm, command", [
    ("TPE", "tpe", "python3 train.py"), ("Random", "random", "python3 train.py"),
    ("Anneal", "tpe", "python -m trainer train --epochs=1"),
])
def test_random_and_tpe_keep_nnis_normal_exactly_and_pass_strict(nni_files, v2, capsys, tuner, algorithm, command):
    v2.update(trialCommand=command, tuner={"name": tuner, "classArgs": {"optimize_mode": "maximize"}})
    doc, notes = convert_cli(nni_files(v2, NORMAL_SPACE), capsys)
    assert doc["spec"]["algorithm"]["algorithmName"] == algorithm
    spaces = {p["name"]: p["feasibleSpace"] for p in doc["spec"]["parameters"]}
    assert {k: (s["distribution"], s.get("step")) for k, s in spaces.items()} == {
        "a": ("normal", None), "b": ("normal", "1.0"), "c": ("logNormal", None), "d": ("logNormal", "1.0"),
        "e": ("normal", "0.1")}
    assert (spaces["a"]["min"], spaces["a"]["max"]) == ("-3.0", "3.0")
    assert "uniform on" not in notes and "bell shape" not in notes  # nothing approximated
    exp = experiment_from_dict(doc)
    for p in exp.parameters:
        t, (mu, sigma, *q) = NORMAL_SPACE[p.name]["_type"], NORMAL_SPACE[p.name]["_value"]
        lo, hi = (math.log(p.min), math.log(p.max)) if "log" in t else (p.min, p.max)
        # what Katib's hyperopt service computes from min/max is NNI's mu and sigma
        assert ((lo + hi) / 2, (hi - lo) / 6) == (pytest.approx(mu, abs=1e-12), pytest.approx(sigma, rel=1e-12))
        codec = ParamCodec(p, unclipped_normal=True)  # kubetune run's random/tpe
        for u in (0.0005, 0.1, 0.5, 0.93, 0.9995):  # 0.0005 and 0.9995 lie past min and max
            nni = _nni_value(t, mu, sigma, q[0] if q else None, u)
            assert float(codec.from_unit(u)) == pytest.approx(nni, rel=1e-9, abs=1e-9), (p.name, u)


def test_the_comment_says_the_prior_is_exact(nni_files, v2):
    text = convert_nni(nni_files(v2, NORMAL_SPACE)).text
    assert "NNI qnormal(mu=10.0, sigma=2.0, q=1.0) exactly" in text and "does not clip to [min, max]" in text


@pytest.mark.parametrize("tuner, algorithm, log_dist", [("Evolution", "cmaes", None),
                                                        ("SMAC", "bayesianoptimization", "logUniform")])
def test_algorithms_without_hyperopts_normal_fall_back_to_uniform_with_a_note(nni_files, v2, capsys, tuner,
                                                                              algorithm, log_dist):
    space = NORMAL_SPACE if tuner == "Evolution" else {k: NORMAL_SPACE[k] for k in ("c", "d")}
    v2["tuner"] = {"name": tuner, "classArgs": {"optimize_mode": "maximize"}}
    doc, notes = convert_cli(nni_files(v2, space), capsys)
    assert doc["spec"]["algorithm"]["algorithmName"] == algorithm
    spaces = {p["name"]: p["feasibleSpace"] for p in doc["spec"]["parameters"]}
    assert spaces["c"].get("distribution") == log_dist
    assert all(s.get("distribution") in (None, "uniform", "logUniform") for s in spaces.values())
    assert f"{algorithm} has no logNormal distribution" in notes and "random and tpe sample NNI's lognormal" in notes
    if tuner == "Evolution":
        assert (spaces["a"]["min"], spaces["a"]["max"]) == ("-3.0", "3.0")
        assert "cmaes has no normal distribution: sampled uniformly on [-3, 3] (mu -/+ 3 sigma)" in notes


def test_katibs_optuna_algorithms_fall_back_too(nni_files, v2):
    """No NNI tuner maps to multivariate-tpe, but its Katib service (optuna) rejects normals: the
    encoder's parameters for it, in an otherwise converted Experiment, pass --strict's check."""
    problems = Problems("space.json")
    encoder = Encoder("multivariate-tpe", "shim", problems)
    encoder.encode_space(parse_space(NORMAL_SPACE, problems, []))
    assert not problems
    spaces = {p["name"]: p["feasibleSpace"] for p in encoder.out.parameters}
    assert [s.get("distribution") for s in spaces.values()] == [None] * 5
    assert (spaces["c"]["min"], spaces["c"]["max"]) == (repr(math.exp(-4.5)), repr(math.exp(-1.5)))
    assert any("multivariate-tpe has no normal distribution" in n.text for n in encoder.out.notes)
    doc = convert_nni(nni_files(v2, NORMAL_SPACE)).document
    doc["spec"]["parameters"] = encoder.out.parameters
    doc["spec"]["algorithm"] = {"algorithmName": "multivariate-tpe"}
    errors, warnings = check(experiment_from_dict(doc))
    assert errors + warnings == []
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = "normal"  # what the fallback avoids
    assert check(experiment_from_dict(doc))[1]


@pytest.mark.parametrize("entry, words", [
    ({"_type": "lognormal", "_value": [0, 1000]}, "exp(mu -/+ 3 sigma)"),
    ({"_type": "qlognormal", "_value": [-800, 1, 1]}, "within [-708, 709]"),
    ({"_type": "normal", "_value": [0, 1e308]}, "mu -/+ 3 sigma, which must be finite"),
])
def test_bounds_katib_cannot_hold_are_refused_by_name(nni_files, v2, entry, words):
    with pytest.raises(ConvertError) as info:
        convert_nni(nni_files(v2, {"x": entry}))
    assert "x._value" in str(info.value) and words in str(info.value)
