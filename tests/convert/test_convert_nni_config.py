"""NNI config v1 / v2 -> Katib Experiment: detection, case-insensitive v2 keys, every tuner's mapping,
budgets, durations, GPUs, assessors, the trial command, and `kubetune validate --strict` on the output."""
from __future__ import annotations

import json

import pytest
import yaml

from kubetune.cli import main
from kubetune.convert import ConvertError, convert_nni

POSITIVE_SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64]},
    "momentum": {"_type": "uniform", "_value": [0.1, 0.9]},
    "hidden": {"_type": "quniform", "_value": [64, 512, 64]},
    "layers": {"_type": "randint", "_value": [1, 4]},
}
# Katib v0.19's skopt samples every double log-uniformly: BO tuners keep bayesianoptimization only
# for spaces of log-scale numbers (and choices), else fall back to tpe (test below).
LOG_SPACE = {k: v for k, v in POSITIVE_SPACE.items() if v["_type"] not in ("uniform", "quniform")}
BAYESIAN = ("SMAC", "MetisTuner", "GPTuner", "DNGOTuner")
TUNERS = ["TPE", "Random", "Anneal", "Evolution", "SMAC", "BatchTuner", "GridSearch", "Hyperband", "BOHB",
          "MetisTuner", "GPTuner", "PBTTuner", "DNGOTuner", "TPE_legacy"]
EXPECTED_ALGORITHM = {"TPE": "tpe", "Random": "random", "Anneal": "tpe", "Evolution": "random", "SMAC": "bayesianoptimization",
                      "BatchTuner": "grid", "GridSearch": "grid", "Hyperband": "hyperband", "BOHB": "bohb",
                      "MetisTuner": "bayesianoptimization", "GPTuner": "bayesianoptimization", "PBTTuner": "pbt",
                      "DNGOTuner": "bayesianoptimization", "TPE_legacy": "tpe"}


def _strict(path) -> int:
    return main(["validate", "--strict", str(path)])


def _write(tmp_path, result, name="experiment.yaml"):
    out = tmp_path / name
    out.write_text(result.text)
    return out


@pytest.mark.parametrize("tuner", TUNERS)
@pytest.mark.parametrize("version", [1, 2])
def test_every_tuner_converts_and_validates_strict(tmp_path, nni_files, v1, v2, tuner, version):
    space = LOG_SPACE if tuner in BAYESIAN else POSITIVE_SPACE
    args = {} if tuner in ("BatchTuner", "GridSearch") else {"optimize_mode": "maximize"}
    if tuner == "BatchTuner":
        space = {"combine_params": {"_type": "choice", "_value": [{"optimizer": "SGD", "lr": 0.1},
                                                                   {"optimizer": "Adam", "lr": 0.001}]}}
    if version == 1:
        v1["tuner"] = {"builtinTunerName": tuner, **({"classArgs": args} if args else {})}
        config = v1
    else:
        v2["tuner"] = {"name": tuner.lower(), **({"classArgs": args} if args else {})}  # v2 names: any case
        config = v2
    result = convert_nni(nni_files(config, space))
    assert result.document["spec"]["algorithm"]["algorithmName"] == EXPECTED_ALGORITHM[tuner]
    assert _strict(_write(tmp_path, result)) == 0
    if tuner != "Random":  # the one exact mapping; every other one is said
        assert any(str(n).startswith("tuner:") for n in result.notes)
    assert result.document["spec"]["objective"]["type"] == "maximize"


@pytest.mark.parametrize("tuner", BAYESIAN)
def test_bayesian_tuners_fall_back_to_tpe_for_linear_doubles(tmp_path, nni_files, v2, tuner):
    v2["tuner"] = {"name": tuner, "classArgs": {"optimize_mode": "maximize"}}
    result = convert_nni(nni_files(v2, POSITIVE_SPACE))  # momentum: uniform, hidden: quniform
    assert result.document["spec"]["algorithm"]["algorithmName"] == "tpe"
    assert any("log-uniformly" in str(n) and "momentum" in str(n) for n in result.notes)
    assert _strict(_write(tmp_path, result)) == 0


def test_v2_keys_are_case_and_underscore_insensitive(tmp_path, nni_files, v2):
    camel = convert_nni(nni_files(v2, name="camel.yml")).document
    snake = {"experiment_name": "conv_test", "SEARCH_SPACE_FILE": "search_space.json", "trial_command": "python3 train.py",
             "TrialCodeDirectory": ".", "trial_concurrency": 2, "max_trial_number": 10,
             "max_experiment_duration": "1h", "tuner": {"NAME": "TPE", "class_args": {"optimize_mode": "maximize"}},
             "training_service": {"PLATFORM": "local"}}
    other = convert_nni(nni_files(snake, name="camel.yml")).document  # same file name: same annotation
    assert other == camel
    assert _strict(_write(tmp_path, convert_nni(nni_files(snake, name="snake.yml")))) == 0


def test_v1_is_detected_by_training_service_platform(nni_files, v1, v2):
    assert convert_nni(nni_files(v1)).config.version == 1
    assert convert_nni(nni_files(v2)).config.version == 2
    v1["maxTrialNumber"] = 5  # a v2 key in a v1 file is unknown, as NNI says
    with pytest.raises(ConvertError, match=r"maxTrialNumber: unknown key .*a v2 key.*did you mean \"maxTrialNum\""):
        convert_nni(nni_files(v1))
    v2["maxTrialNum"] = 5
    with pytest.raises(ConvertError, match=r"maxTrialNum: unknown field .*a v1 key"):
        convert_nni(nni_files(v2))


def test_seed_style_v1_mapping(tmp_path, nni_files, v1):
    v1.update(maxExecDuration="12h", maxTrialNum=50, trialConcurrency=3)
    v1["trial"] = {"command": "python3 train.py --epochs 30", "codeDir": ".", "gpuNum": 2}
    v1["assessor"] = {"builtinAssessorName": "Medianstop", "classArgs": {"optimize_mode": "maximize", "start_step": 0}}
    result = convert_nni(nni_files(v1))
    doc = result.document
    spec = doc["spec"]
    assert doc["metadata"]["name"] == "conv-test"
    assert doc["metadata"]["annotations"]["kubetune.io/max-duration"] == "12h"
    assert doc["metadata"]["annotations"]["kubetune.io/nni-experiment-name"] == "conv_test"
    assert (spec["parallelTrialCount"], spec["maxTrialCount"], spec["maxFailedTrialCount"]) == (3, 50, 13)
    assert spec["objective"] == {"type": "maximize", "objectiveMetricName": "default",
                                 "metricStrategies": [{"name": "default", "value": "latest"}]}
    assert spec["earlyStopping"] == {"algorithmName": "medianstop", "algorithmSettings": [
        {"name": "min_trials_required", "value": "1"}, {"name": "start_step", "value": "1"}]}
    template = spec["trialTemplate"]
    assert template["retain"] is True  # needed by early stopping
    container = template["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "kubetune.compat.nni_launch", "--", "python3", "train.py",
                                    "--epochs", "30"]
    assert container["resources"] == {"limits": {"nvidia.com/gpu": 2}}
    assert container["workingDir"] == "/code"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["NNI_PARAM_lr"] == "${trialParameters.lr}" and env["NNI_OUTPUT_DIR"] == "/nni/output"
    assert env["NNI_TRIAL_JOB_ID"] == "${trialParameters.kubetuneTrialName}"
    assert json.loads(env["KUBETUNE_NNI_SPACE"])["params"]["batch_size"]["values"] == [16, 32, 64]
    assert any("Medianstop -> medianstop" in str(n) for n in result.notes)
    assert _strict(_write(tmp_path, result)) == 0


def test_optimize_mode_defaults_follow_nni_code(nni_files, v1):
    v1["tuner"] = {"builtinTunerName": "TPE"}
    result = convert_nni(nni_files(v1))
    assert result.document["spec"]["objective"]["type"] == "minimize"  # NNI's TPE code default
    assert any("minimizes by default" in str(n) for n in result.notes)
    v1["tuner"] = {"builtinTunerName": "Random"}
    v1["assessor"] = {"builtinAssessorName": "Medianstop", "classArgs": {"optimize_mode": "minimize"}}
    assert convert_nni(nni_files(v1)).document["spec"]["objective"]["type"] == "minimize"  # from the assessor
    v1["tuner"] = {"builtinTunerName": "GridSearch"}
    del v1["assessor"]
    assert convert_nni(nni_files(v1)).document["spec"]["objective"]["type"] == "maximize"
    v1["tuner"] = {"builtinTunerName": "Evolution"}
    assert convert_nni(nni_files(v1)).document["spec"]["objective"]["type"] == "maximize"


def test_tuner_settings_are_carried_over(nni_files, v2):
    v2["tuner"] = {"name": "TPE", "classArgs": {"optimize_mode": "maximize", "seed": 5,
                                                "tpe_args": {"gamma": 0.3, "n_ei_candidates": 30, "n_startup_jobs": 5}}}
    result = convert_nni(nni_files(v2))
    settings = {s["name"]: s["value"] for s in result.document["spec"]["algorithm"]["algorithmSettings"]}
    assert settings == {"gamma": "0.3", "n_EI_candidates": "30", "random_state": "5"}
    assert any("n_startup_jobs" in str(n) for n in result.notes)
    v2["tuner"] = {"name": "GPTuner", "classArgs": {"optimize_mode": "minimize", "utility": "ucb", "cold_start_num": 4}}
    result = convert_nni(nni_files(v2))
    settings = {s["name"]: s["value"] for s in result.document["spec"]["algorithm"]["algorithmSettings"]}
    assert settings == {"base_estimator": "GP", "n_initial_points": "4", "acq_func": "LCB"}


def test_budgets_durations_and_gpus(tmp_path, nni_files, v2):
    v2.update(maxExperimentDuration="1.5H", maxTrialDuration=90, trialGpuNumber=1, maxTrialNumber=None)
    v2 = {k: v for k, v in v2.items() if v is not None}
    result = convert_nni(nni_files(v2, {"x": {"_type": "uniform", "_value": [0, 1]}}))
    spec = result.document["spec"]
    assert result.document["metadata"]["annotations"]["kubetune.io/max-duration"] == "1.5H"
    assert spec["maxTrialCount"] == 99999 and any("maxTrialNumber: not set" in str(n) for n in result.notes)
    job = spec["trialTemplate"]["trialSpec"]["spec"]
    assert job["activeDeadlineSeconds"] == 90
    assert job["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    # a finite space caps maxTrialCount (NNI 2.7+ tuners never repeat a point)
    v2["maxTrialNumber"] = 500
    result = convert_nni(nni_files(v2, {"bs": {"_type": "choice", "_value": [1, 2, 3]},
                                        "n": {"_type": "randint", "_value": [0, 4]}}))
    assert result.document["spec"]["maxTrialCount"] == 12
    assert _strict(_write(tmp_path, result)) == 0


def test_assessors_without_katib_equivalent_are_dropped_with_a_note(nni_files, v1):
    v1["assessor"] = {"builtinAssessorName": "Curvefitting", "classArgs": {"epoch_num": 20, "threshold": 0.9}}
    result = convert_nni(nni_files(v1))
    assert "earlyStopping" not in result.document["spec"]
    assert any("Curvefitting dropped" in str(n) for n in result.notes)
    v1["assessor"] = {"codeDir": ".", "classFileName": "mine.py", "className": "MyAssessor"}
    result = convert_nni(nni_files(v1))
    assert any("custom assessor mine.MyAssessor dropped" in str(n) for n in result.notes)


def test_remote_machine_list_becomes_a_note_without_credentials(nni_files, v1):
    v1["trainingServicePlatform"] = "remote"
    v1["machineList"] = [{"ip": "10.0.0.5", "port": 2222, "username": "root", "passwd": "s3cret",
                          "pythonPath": "/opt/conda/bin"}]
    result = convert_nni(nni_files(v1))
    assert any("each trial is a pod" in str(n) for n in result.notes)
    assert "s3cret" not in result.text and "10.0.0.5" not in result.text


def test_trial_command_cd_prefix_env_words_and_trainer_mode(nni_files, v2):
    v2["trialCommand"] = "cd src/models && OMP_NUM_THREADS=2 python3 main.py --x 'a b'"
    container = convert_nni(nni_files(v2)).document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"][
        "spec"]["containers"][0]
    assert container["workingDir"] == "/code/src/models"
    assert container["command"][-4:] == ["python3", "main.py", "--x", "a b"]
    assert {"name": "OMP_NUM_THREADS", "value": "2"} in container["env"]
    v2["trialCommand"] = "python -m trainer train --data /data --epochs 3"
    result = convert_nni(nni_files(v2))
    container = result.document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    assert result.mode == "trainer" and container["command"] == ["python", "-m", "trainer", "train"]
    assert container["args"] == ["--data", "/data", "--epochs", "3", "--out=/nni/output",
                                 "--lr=${trialParameters.lr}", "--batch_size=${trialParameters.batch_size}"]
    assert "env" not in container
    assert result.document["spec"]["objective"]["objectiveMetricName"] == "accuracy"


def test_yaml_11_exponent_strings_and_inline_space(nni_files, v2):
    v2.pop("searchSpaceFile")
    v2["searchSpace"] = yaml.safe_load("lr: {_type: loguniform, _value: [1e-5, 1.0e-1]}")
    assert v2["searchSpace"]["lr"]["_value"][0] == "1e-5"  # what PyYAML (YAML 1.1) gives NNI
    result = convert_nni(nni_files(v2))
    assert result.document["spec"]["parameters"][0]["feasibleSpace"]["min"] == "1e-05"
    assert any("YAML 1.1" in str(n) for n in result.notes)


def test_cli_writes_yaml_and_prints_notes(tmp_path, nni_files, v1, capsys):
    config = nni_files(v1)
    assert main(["convert", "nni", str(config), "--image", "reg/me/trial:1", "--namespace", "team"]) == 0
    captured = capsys.readouterr()
    doc = yaml.safe_load(captured.out)
    assert doc["metadata"]["namespace"] == "team"
    assert doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["image"] == "reg/me/trial:1"
    assert "kubetune: note:" in captured.err and captured.out.startswith("# Katib Experiment converted")
    out = tmp_path / "out" / "exp.yaml"
    assert main(["convert", "nni", str(config), "-o", str(out)]) == 0
    assert out.read_text() == convert_nni(config).text
    assert main(["validate", "--strict", str(out)]) == 0
