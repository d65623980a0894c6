"""Every writer of Katib values uses one rule (kubetune.experiment.katib_text): a boolean or float
list value comes out the same from the NNI converter, the Optuna-style space converter and the
pipeline's inline search spaces; and the trainer's output flag is known in every spelling the
trainer accepts (kubetune.trainer_flags, from trainer/config/schema.py)."""
from __future__ import annotations

import pytest

from kubetune.convert import convert_nni
from kubetune.convert.errors import Problems
from kubetune.convert.optuna_space_parameters import compile_parameters
from kubetune.experiment.katib_text import katib_string
from kubetune.steps.space import resolve_space

BOOLS, FLOATS = [True, False], [0.1, 1e-05, 2.5]
WANT_BOOLS, WANT_FLOATS = ["true", "false"], ["0.1", "1e-05", "2.5"]


def _lists(parameters: list[dict]) -> dict[str, list[str]]:
    return {p["name"]: p["feasibleSpace"]["list"] for p in parameters}


def test_katib_string_rule():
    assert [katib_string(v) for v in BOOLS + FLOATS] == WANT_BOOLS + WANT_FLOATS
    assert [katib_string(v) for v in (3, "Adam", None, {"b": 1, "a": [2]})] == ["3", "Adam", "null",
                                                                               '{"a": [2], "b": 1}']


def test_boolean_and_float_list_values_read_the_same_in_every_path(nni_files, v2):
    inline = ("- {name: amp, parameterType: categorical, feasibleSpace: {list: [true, false]}}\n"
              "- {name: wd, parameterType: discrete, feasibleSpace: {list: [0.1, 1.0e-5, 2.5]}}")
    pipeline = _lists(resolve_space(inline, "cells")[1])

    problems = Problems("space.yaml")
    parameters = compile_parameters(problems, {"amp": {"type": "categorical", "choices": BOOLS},
                                               "wd": {"type": "categorical", "choices": FLOATS}})[0]
    assert not problems.items
    optuna_style = _lists(parameters)

    v2["trialCommand"] = "python -m trainer train --epochs 1"
    nni = convert_nni(nni_files(v2, {"amp": {"_type": "choice", "_value": BOOLS},
                                     "wd": {"_type": "choice", "_value": FLOATS}}))
    nni_lists = _lists(nni.document["spec"]["parameters"])

    assert pipeline == optuna_style == nni_lists == {"amp": WANT_BOOLS, "wd": WANT_FLOATS}


def test_inline_space_bounds_are_katib_strings():
    _, params = resolve_space("- {name: wd, parameterType: double, feasibleSpace: {min: 1.0e-5, max: 0.5}}",
                              "cells")
    assert params[0]["feasibleSpace"] == {"min": "1e-05", "max": "0.5"}


def _args(nni_files, v2, command: str) -> list[str]:
    v2["trialCommand"] = command
    doc = convert_nni(nni_files(v2)).document
    return doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize("flags", ["--out /m", "--output-dir=/m", "--Save-Dir /m", "--save_dir=/m", "-out /m"])
def test_a_trainer_command_keeps_its_own_output_flag_in_any_spelling(nni_files, v2, flags):
    args = _args(nni_files, v2, f"python -m trainer train --epochs 1 {flags}")
    assert "/m" in " ".join(args) and "--out=/nni/output" not in args


def test_a_trainer_command_without_an_output_flag_gets_the_nni_output_dir(nni_files, v2):
    args = _args(nni_files, v2, "python -m trainer train --epochs 1 --outer /m")  # not an alias of out
    assert "--out=/nni/output" in args
