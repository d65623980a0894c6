"""`kubetune export` finds a trial's checkpoint through the trainer's output flag, read in every
spelling the trainer itself accepts (kubetune.trainer_flags, from trainer/config/schema.py)."""
from __future__ import annotations

import pytest

from kubetune.steps.checkpoints import out_dir_of
from kubetune.trainer_flags import flag_option, option_value
from trainer.config import parse_cli
from trainer.config.schema import ALIASES, norm_key


@pytest.mark.parametrize("argv", [
    ["--out=/m/t1"], ["--out", "/m/t1"], ["--output-dir", "/m/t1"], ["--OUT_DIR=/m/t1"], ["-save-dir", "/m/t1"],
    ["--out", "/elsewhere", "--epochs=2", "--output=/m/t1"],  # the last one wins, as in the trainer
])
def test_out_dir_in_every_spelling_the_trainer_accepts(argv):
    assert out_dir_of(["python", "-m", "trainer", "train", *argv]) == "/m/t1"
    trainer_sees = [a.value for a in parse_cli(argv).assignments if ALIASES.get(norm_key(a.key)) == "out"]
    assert trainer_sees[-1] == "/m/t1"  # the trainer's own parser agrees


def test_values_and_other_flags_are_not_the_output_flag():
    assert out_dir_of(["--outer=/x", "--lr", "-0.5", "out"]) is None
    assert out_dir_of(["--out"]) is None  # no value after it
    assert [flag_option(a) for a in ("--lr=0.1", "-b", "-5", "adam", "--nope")] == ["lr", "batch_size", None,
                                                                                 None, None]
    assert option_value(["-b", "32", "--batch-size=64"], "batch_size") == "64"
