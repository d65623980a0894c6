"""An NNI trial script written the way NNI's examples write them (mnist-pytorch style): argparse
defaults overridden by the tuner's parameters, one intermediate result per epoch, a final result.
It imports only `nni`; kubetune's tests run it unchanged through the shim.

The "training" is a deterministic toy so a test can predict every reported value:
accuracy(epoch) = score * (epoch + 1) / epochs, with score computed from the parameters.
"""
import argparse
import json
import logging
import math
import os

import nni
from nni.utils import merge_parameter

logger = logging.getLogger("toy_nni")


def get_params():
    parser = argparse.ArgumentParser(description="toy NNI trial")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--hidden_size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--activation", type=str, default="relu")
    parser.add_argument("--epochs", type=int, default=3)
    args, _ = parser.parse_known_args()
    return args


def score_of(params):
    return round(1.0 - abs(math.log10(params["lr"]) + 2) / 4 - abs(params["momentum"] - 0.9) / 4
                 - (0.05 if params["activation"] == "tanh" else 0.0) + params["hidden_size"] / 1e4, 6)


def main(args):
    score = score_of(args)
    for epoch in range(args["epochs"]):
        nni.report_intermediate_result(score * (epoch + 1) / args["epochs"])
    nni.report_final_result({"default": score, "hidden": args["hidden_size"]})
    out = os.path.join(os.environ["NNI_OUTPUT_DIR"], "params.json")
    with open(out, "w") as f:
        json.dump({"params": args, "trial": nni.get_trial_id(), "experiment": nni.get_experiment_id(),
                   "sequence": nni.get_sequence_id(), "current": nni.get_current_parameter(),
                   "second_call": nni.get_next_parameter()}, f)


if __name__ == "__main__":
    try:
        tuner_params = nni.get_next_parameter()
        logger.debug(tuner_params)
        params = vars(merge_parameter(get_params(), tuner_params))
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise
