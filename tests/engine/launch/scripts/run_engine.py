"""`python run_engine.py EXPERIMENT.yaml WORKDIR LAUNCHER`: the engine as `kubetune run` drives it
(for tests that kill it); prints the final trial states as JSON."""
import json
import sys

import yaml

from kubetune.engine import LocalEngine
from kubetune.experiment import experiment_from_dict

path, workdir, launcher = sys.argv[1:4]
exp = experiment_from_dict(yaml.safe_load(open(path)))
result = LocalEngine(exp, workdir, seed=1, gpus=[], launcher=launcher).run()
print(json.dumps([t.state for t in result.trials]))
