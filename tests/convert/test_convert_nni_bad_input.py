"""Bad NNI input: every error names the file, the key path, what was found and what is allowed;
all problems are reported at once; a tuner with no equivalent is never dropped silently."""
from __future__ import annotations

import pytest

from kubetune.cli import main
from kubetune.convert import ConvertError, convert_nni


def _errors(path) -> str:
    with pytest.raises(ConvertError) as info:
        convert_nni(path)
    return str(info.value)


# -- config keys -----------------------------------------------------------------------------------
def test_unknown_v1_key_names_file_path_suggestion_and_allowed(nni_files, v1):
    v1["trialConcurency"] = v1.pop("trialConcurrency")
    text = _errors(nni_files(v1))
    assert "config.yml: trialConcurency: unknown key \"trialConcurency\"" in text
    assert 'did you mean "trialConcurrency"?' in text and "allowed: authorName, experimentName" in text
    assert "config.yml: trialConcurrency: required key is missing" in text  # both problems at once


@pytest.mark.parametrize("where,change,expected", [
    ("tuner", {"tuner": {"nmae": "TPE"}}, 'tuner.nmae: unknown field "nmae" (did you mean "name"?); allowed: name, className'),
    ("trainingService", {"trainingService": {"platform": "local", "useActivGpu": False}},
     'trainingService.useActivGpu: unknown field "useActivGpu" (did you mean "useActiveGpu"?)'),
    ("classArgs", {"tuner": {"name": "TPE", "classArgs": {"optimise_mode": "maximize"}}},
     'tuner.classArgs.optimise_mode: unknown TPE argument "optimise_mode" (did you mean "optimize_mode"?); allowed: '
     "optimize_mode, seed, tpe_args"),
    ("optimize_mode", {"tuner": {"name": "TPE", "classArgs": {"optimize_mode": "max"}}},
     'tuner.classArgs.optimize_mode: found "max"; allowed: maximize, minimize'),
    ("platform", {"trainingService": {"platform": "openpai"}},
     "trainingService.platform: platform 'openpai' is not supported by the converter"),
    ("annotation", {"useAnnotation": True}, "useAnnotation: useAnnotation: true cannot be converted"),
    ("concurrency", {"trialConcurrency": "two"}, 'trialConcurrency: found "two"; must be an integer'),
    ("hybrid", {"trainingService": [{"platform": "local"}, {"platform": "remote"}]},
     "trainingService: hybrid mode (a list of training services) cannot be converted"),
])
def test_bad_v2_config(nni_files, v2, where, change, expected):
    v2.update(change)
    text = _errors(nni_files(v2))
    assert f"config.yml: {expected}" in text, text


@pytest.mark.parametrize("version,value,expected", [
    (1, "1h30m", "no decimals, no 1h30m"), (1, "0.5h", "NNI v1 durations are a whole number"),
    (1, "12 hours", "found '12 hours'"), (1, "010m", "found '010m'"),
    (2, "abc", "a duration is a number and a unit s, m, h or d"), (2, "-1h", "found '-1h'"),
    (2, 0, "must be greater than 0"), (2, "5w", "found '5w'"),
])
def test_bad_durations(nni_files, v1, v2, version, value, expected):
    config, key = (v1, "maxExecDuration") if version == 1 else (v2, "maxExperimentDuration")
    config[key] = value
    text = _errors(nni_files(config))
    assert f"config.yml: {key}: " in text and expected in text, text


def test_multi_phase_nas_and_unsupported_platform_are_refused(nni_files, v1):
    v1.update(multiPhase=True, trainingServicePlatform="pai")
    v1["trial"]["nasMode"] = "enas_mode"
    text = _errors(nni_files(v1))
    assert "multiPhase: multiPhase: true cannot be converted" in text
    assert "trainingServicePlatform: platform 'pai' is not supported by the converter" in text
    assert "allowed: local, remote" in text and "trial.nasMode" in text


def test_missing_search_space_file(nni_files, v1):
    v1["searchSpacePath"] = "nope.json"
    assert "searchSpacePath: cannot read search space file 'nope.json'" in _errors(nni_files(v1))


# -- search space ----------------------------------------------------------------------------------
@pytest.mark.parametrize("space,expected", [
    ({"lr": {"_type": "chioce", "_value": [1, 2]}},
     'lr._type: unknown type "chioce" (did you mean "choice"?); allowed: choice, randint, uniform, quniform'),
    ({"lr": {"_type": "factor", "_value": [1, 2]}},
     'lr._type: unknown type "factor" (custom tuner types and NAS types cannot be converted)'),
    ({"lr": {"_typ": "choice", "_value": [1]}}, 'lr._typ: unknown key "_typ" (did you mean "_type"?); allowed: _type, _value'),
    ({"bs": {"_type": "choice", "_value": []}}, "bs._value: a choice needs at least one option, found an empty list"),
    ({"x": {"_type": "uniform", "_value": [1, 1]}}, "x._value: uniform needs low < high, found [1, 1]"),
    ({"x": {"_type": "randint", "_value": [0, 0]}}, "x._value: randint needs lower < upper (upper is exclusive)"),
    ({"x": {"_type": "quniform", "_value": [5, 2, 1]}}, "x._value: quniform needs low < high"),
    ({"x": {"_type": "loguniform", "_value": [0, 1]}}, "x._value[0]: loguniform needs low > 0"),
    ({"x": {"_type": "randint", "_value": [0.5, 3]}}, "x._value: randint bounds must be integers"),
    ({"x": {"_type": "normal", "_value": [0, -1]}}, "x._value[1]: sigma must be > 0"),
    ({"x": {"_type": "qnormal", "_value": [0, 1, 0]}}, "x._value[2]: q must be > 0"),
    ({"x": {"_type": "quniform", "_value": [0, 1]}}, "x._value: quniform takes 3 numbers [low, high, q], found 2"),
    ({"x": {"_type": "uniform", "_value": [0, "big"]}}, 'x._value[1]: found "big"; must be a number'),
    ({"x": {"_type": "uniform", "_value": 3}}, "x._value: found 3; _value must be a list"),
    ({"layer": {"_type": "choice", "_value": [
        {"_name": "Empty"}, {"kernel": {"_type": "choice", "_value": [1, 3]}}]}},
     "layer._value[1]: option {\"kernel\": {\"_type\": \"choice\", \"_value\": [1, 3]}} has no _name, but other options"),
    ({"layer": {"_type": "choice", "_value": [{"kernel": {"_type": "choice", "_value": [1, 3]}}]}},
     "layer._value[0]: a nested choice option needs \"_name\""),
    ({"layer": {"_type": "choice", "_value": [{"_name": "Conv", "k": {"_type": "uniform", "_value": [3, 1]}}]}},
     "layer._value[0].k._value: uniform needs low < high"),
])
def test_bad_search_space(nni_files, v2, space, expected):
    text = _errors(nni_files(v2, space))
    assert f"search_space.json: {expected}" in text, text


def test_every_search_space_problem_at_once(nni_files, v2):
    text = _errors(nni_files(v2, {"a": {"_type": "chioce", "_value": [1]}, "b": {"_type": "choice", "_value": []},
                                  "c": {"_type": "uniform", "_value": [2, 1]}}))
    assert text.count("search_space.json:") == 3


# -- tuners ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("tuner,expected", [
    ({"name": "NetworkMorphism"}, "tuner: tuner NetworkMorphism has no Katib equivalent"),
    ({"name": "PPOTuner"}, "tuner: tuner PPOTuner has no Katib equivalent"),
    ({"name": "TPEE"}, 'tuner.name: unknown built-in tuner "TPEE" (did you mean "TPE"?); allowed: Anneal, BOHB'),
    ({"className": "my_tuner.CleverTuner", "codeDirectory": "."},
     "tuner.className: custom tuner my_tuner.CleverTuner has no Katib equivalent"),
    ({"name": "BatchTuner"}, "BatchTuner needs a search space with exactly one choice parameter"),
    ({"name": "SMAC", "classArgs": {"optimize_mode": "maximize"}}, "SMAC does not support nested choices"),
])
def test_tuner_without_equivalent_is_an_error(nni_files, v2, tuner, expected):
    v2["tuner"] = tuner
    space = {"layer": {"_type": "choice", "_value": [{"_name": "a"}, {"_name": "b"}]},
             "lr": {"_type": "uniform", "_value": [0.1, 1]}}
    text = _errors(nni_files(v2, space))
    assert expected in text, text


def test_v1_custom_tuner_needs_all_three_keys(nni_files, v1):
    v1["tuner"] = {"codeDir": ".", "className": "FixedProductTuner"}
    assert "tuner: a custom tuner needs codeDir, classFileName and className; missing classFileName" in _errors(
        nni_files(v1))
    v1["tuner"] = {"builtinTunerName": "TPE", "className": "X"}
    assert "builtinTunerName cannot be combined with className" in _errors(nni_files(v1))


# -- trial command ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command,expected", [
    ("python train.py | tee log.txt", "uses shell syntax \"|\""),
    ("python a.py; python b.py", "uses shell syntax \";\""),
    ("python train.py > out.log", "uses shell syntax \">\""),
    ("python train.py --out $NNI_OUTPUT_DIR", "uses shell expansion \"$NNI_OUTPUT_DIR\""),
    ("cd /opt/code && python train.py", "`cd /opt/code` leaves the trial code directory"),
    ("python train.py --name 'unbalanced", "cannot split"),
])
def test_trial_command_needing_a_shell_is_refused(nni_files, v2, command, expected):
    v2["trialCommand"] = command
    text = _errors(nni_files(v2))
    assert "config.yml: trialCommand: " in text and expected in text, text


def test_cli_reports_errors_with_exit_code_2(nni_files, v1, capsys):
    v1["maxExecDuration"] = "1h30m"
    assert main(["convert", "nni", str(nni_files(v1))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kubetune: error: ") and "maxExecDuration: found '1h30m'" in err
    assert main(["convert", "nni", "/nonexistent/config.yml"]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("version", [1, 2])
def test_a_null_tuner_is_a_missing_tuner(nni_files, v1, v2, version):
    """`tuner: null` (found by the fuzz test) is reported like an absent tuner, never a crash."""
    config = v1 if version == 1 else v2
    config["tuner"] = None
    text = _errors(nni_files(config))
    assert "config.yml: tuner: required" in text and "Traceback" not in text, text
