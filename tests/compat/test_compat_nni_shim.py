"""The NNI trial API shim: decoding Katib's values into NNI's, metric lines, standalone mode,
merge_parameter. Trials run as real processes through `python -m kubetune.compat.nni_launch`."""
from __future__ import annotations

import argparse
import json
import re

import pytest

from kubetune.compat.nni import NniShimError, decode_parameters, merge_parameter

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (.*)$")


def _record(params: dict, **extra) -> dict:
    return {"v": 1, "params": params, **extra}


def _metric_lines(stdout: str) -> list[str]:
    return [m.group(1) for m in map(LINE.match, stdout.splitlines()) if m]


# -- decoding -------------------------------------------------------------------------------------
def test_decode_restores_nni_types_and_rounding():
    record = _record({
        "c": {"t": "choice", "env": "A", "enc": "value", "keys": ["1", "1.0", "x", "true"], "values": [1, 1.0, "x", True]},
        "i": {"t": "choice", "env": "B", "enc": "index", "values": [{"optimizer": "adam"}, None, [1, 2]]},
        "r": {"t": "randint", "env": "C", "lo": 2, "hi": 5},
        "q": {"t": "quniform", "env": "D", "lo": 1.0, "hi": 2.0, "q": 0.05},
        "qc": {"t": "quniform", "env": "E", "lo": 2.0, "hi": 10.0, "q": 5.0},
        "u": {"t": "uniform", "env": "F", "lo": 0.0, "hi": 1.0},
        "qn": {"t": "qnormal", "env": "G", "q": 0.1},
        "n": {"t": "nested", "env": "H", "enc": "value", "keys": ["Empty", "Conv"],
              "options": [{"name": "Empty", "params": {}},
                          {"name": "Conv", "params": {"k": {"t": "randint", "env": "I", "lo": 1, "hi": 4}}}]},
    })
    env = {"A": "1.0", "B": "2", "C": "4", "D": "1.1500000000000001", "E": "8.9", "F": "1.0000001", "G": "0.34",
           "H": "Conv", "I": "3"}
    got = decode_parameters(record, env)
    assert got == {"c": 1.0, "i": [1, 2], "r": 4, "q": 1.1500000000000001, "qc": 10.0, "u": 1.0, "qn": 0.30000000000000004,
                   "n": {"_name": "Conv", "k": 3}}
    assert type(got["c"]) is float and type(got["r"]) is int and type(got["qc"]) is float
    assert decode_parameters(record, {**env, "A": "true", "H": "Empty"})["c"] is True
    assert decode_parameters(record, {**env, "H": "Empty"})["n"] == {"_name": "Empty"}
    # quniform from Katib's step grid rendering ("1.15") is NNI's integer-multiple float
    assert decode_parameters(record, {**env, "D": "1.15"})["q"] == 23 * 0.05
    # clipping to the original bounds: [2, 10, 5] delivers 2 for draws near the lower bound
    assert decode_parameters(record, {**env, "E": "2.1"})["qc"] == 2.0


def test_decode_randint_upper_bound_is_exclusive():
    record = _record({"r": {"t": "randint", "env": "R", "lo": 0, "hi": 3}})
    assert [decode_parameters(record, {"R": v})["r"] for v in ("0", "2", "3", "2.6")] == [0, 2, 2, 2]


def test_decode_batch_tuner_returns_the_configuration_itself():
    options = [{"optimizer": "SGD", "lr": 0.1}, {"optimizer": "Adam", "lr": 0.001}]
    record = _record({"combine_params": {"t": "choice", "env": "P", "enc": "index", "values": options}},
                     batch="combine_params")
    assert decode_parameters(record, {"P": "1"}) == options[1]


def test_decode_fixed_product_triple_and_hyperband_budget():
    record = _record({"alpha": {"t": "triple", "env": "S", "i": 0}, "beta": {"t": "triple", "env": "S", "i": 1},
                      "gamma": {"t": "triple", "env": "S", "i": 2}},
                     extra={"TRIAL_BUDGET": {"t": "int", "env": "B"}})
    got = decode_parameters(record, {"S": "1.0,1.1500000000000001,1.2000000000000002", "B": "9"})
    assert got == {"alpha": 1.0, "beta": 1.1500000000000001, "gamma": 1.2000000000000002, "TRIAL_BUDGET": 9}


def test_decode_errors_name_the_parameter_and_the_problem():
    record = _record({"lr": {"t": "uniform", "env": "NNI_PARAM_lr", "lo": 0.0, "hi": 1.0},
                      "opt": {"t": "choice", "env": "O", "enc": "value", "keys": ["a", "b"], "values": ["a", "b"]}})
    with pytest.raises(NniShimError, match="'lr'.*NNI_PARAM_lr is not set"):
        decode_parameters(record, {"O": "a"})
    with pytest.raises(NniShimError, match="'opt'.*'c' is not one of the choices"):
        decode_parameters(record, {"NNI_PARAM_lr": "0.5", "O": "c"})
    with pytest.raises(NniShimError, match="'lr'.*not a number"):
        decode_parameters(record, {"NNI_PARAM_lr": "abc", "O": "a"})
    with pytest.raises(NniShimError, match="unknown record format"):
        decode_parameters({"v": 99}, {})


# -- merge_parameter (NNI >= 2.8) -----------------------------------------------------------------
def test_merge_parameter_follows_nni():
    ns = argparse.Namespace(lr=0.1, epochs=3, name=None, act="relu")
    assert merge_parameter(ns, {"lr": 1, "name": "x"}) is ns
    assert ns.lr == 1.0 and type(ns.lr) is float and ns.name == "x"  # int replaces float; anything replaces None
    with pytest.raises(ValueError, match='Expected "epochs".*int, but found float'):
        merge_parameter(ns, {"epochs": 64.0})  # a quniform float onto an int default fails, as in NNI
    with pytest.raises(ValueError, match="Key 'missing' not found"):
        merge_parameter(ns, {"missing": 1})
    d = {"lr": 0.1}
    assert merge_parameter(d, None) is d and merge_parameter(d, {"lr": 0.2}) == {"lr": 0.2}
    with pytest.raises(ValueError, match="not found"):
        merge_parameter(d, {"other": 1})


# -- a managed trial ------------------------------------------------------------------------------
MANAGED = _record({"lr": {"t": "loguniform", "env": "NNI_PARAM_lr", "lo": 0.001, "hi": 0.1},
                   "bs": {"t": "choice", "env": "NNI_PARAM_bs", "enc": "value", "keys": ["16", "32"],
                          "values": [16, 32]}})


def test_managed_trial_gets_parameters_once_and_prints_katib_metric_lines(run_trial):
    code = """
import json, nni
p = nni.get_next_parameter()
print("P " + json.dumps(p) + " " + json.dumps(nni.get_next_parameter()))
print("I " + json.dumps([nni.get_experiment_id(), nni.get_trial_id(), nni.get_sequence_id(), nni.get_current_parameter('bs')]))
for v in (0.5, 0.75):
    nni.report_intermediate_result(v)
nni.report_intermediate_result({"default": 0.8, "loss": 0.2, "val/acc": 0.9, "note": "text"})
nni.report_final_result({"default": 0.875, "f1": 0.5})
nni.report_final_result(0.1)
"""
    proc = run_trial(code, MANAGED, {"NNI_PARAM_lr": "0.01", "NNI_PARAM_bs": "32"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == 'P {"lr": 0.01, "bs": 32} null'  # second call: None, as NNI without multi-phase
    assert json.loads(out[1][2:]) == ["exp-1", "exp-1-abcd", 0, 32]
    assert _metric_lines(proc.stdout) == ["default=0.5 step=0", "default=0.75 step=1", "default=0.8 loss=0.2 step=2",
                                          "default=0.875 f1=0.5"]
    assert "val/acc" in proc.stderr and "only the first final result counts" in proc.stderr


def test_final_result_is_reprinted_when_intermediate_results_follow_it(run_trial):
    code = "import nni\nnni.get_next_parameter()\nnni.report_final_result(0.9)\nnni.report_intermediate_result(0.3)\n"
    proc = run_trial(code, MANAGED, {"NNI_PARAM_lr": "0.01", "NNI_PARAM_bs": "16"})
    assert _metric_lines(proc.stdout) == ["default=0.9", "default=0.3 step=0", "default=0.9"]
    stamps = [line.split()[0] for line in proc.stdout.splitlines() if LINE.match(line)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3  # strictly increasing: `latest` is the last line


def test_managed_trial_must_ask_for_parameters_before_reporting(run_trial):
    proc = run_trial("import nni\nnni.report_final_result(1.0)\n", MANAGED,
                     {"NNI_PARAM_lr": "0.01", "NNI_PARAM_bs": "16"})
    assert proc.returncode != 0 and "get_next_parameter() needs to be called before report_final_result" in proc.stderr


def test_nan_and_missing_default_are_not_reported(run_trial):
    code = ("import nni\nnni.get_next_parameter()\nnni.report_intermediate_result(float('nan'))\n"
            "nni.report_final_result({'acc': 0.5})\n")
    proc = run_trial(code, MANAGED, {"NNI_PARAM_lr": "0.01", "NNI_PARAM_bs": "16"})
    assert proc.returncode == 0
    assert _metric_lines(proc.stdout) == ["acc=0.5"]  # other numeric keys still go out, without an objective
    assert "not reported" in proc.stderr and "no 'default' key" in proc.stderr
    assert "=" not in proc.stderr.replace("[nni shim]", "")  # notes never read as metric lines


def test_launcher_sets_nni_variables_and_puts_the_shim_first(run_trial, tmp_path):
    code = ("import os, sys, nni, kubetune\nfrom pathlib import Path\n"
            "print(Path(nni.__file__).resolve().parent.parent == Path(kubetune.__file__).resolve().parent.parent,"
            " nni.__version__, sys.path.index(str(Path(kubetune.__file__).resolve().parent.parent)))\n"
            "print(os.environ['NNI_OUTPUT_DIR'], os.path.isdir(os.environ['NNI_OUTPUT_DIR']))\n")
    proc = run_trial(code)
    assert proc.returncode == 0, proc.stderr
    shim, output = proc.stdout.splitlines()
    # the shim package next to kubetune, first on sys.path after the script's own directory
    assert shim == "True 0.0.0+kubetune.shim 1"
    assert output == f"{tmp_path} True"  # defaults to the working directory, created


# -- standalone mode ------------------------------------------------------------------------------
def test_standalone_behaves_as_nni(run_trial):
    code = """
import json, nni, warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    p = nni.get_next_parameter()
print(json.dumps([p, nni.get_next_parameter(), nni.get_experiment_id(), nni.get_trial_id(), nni.get_sequence_id(),
                  nni.get_current_parameter(), any('without runtime' in str(x.message) for x in w)]))
nni.report_intermediate_result(0.5)
nni.report_final_result(0.7)
"""
    proc = run_trial(code)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0]) == [{}, {}, "STANDALONE", "STANDALONE", 0, {}, True]
    assert _metric_lines(proc.stdout) == []  # only logged, as NNI does
    assert "Intermediate result: 0.5  (Index 0)" in proc.stderr and "Final result: 0.7" in proc.stderr
