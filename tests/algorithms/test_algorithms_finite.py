"""One rule for which observed values the samplers use (kubetune.algorithms._values.finite): a NaN
or infinite objective from a diverged run is told as a failure, and such intermediate values are
left out, never fed to a model."""
from __future__ import annotations

import math

from optuna.trial import TrialState

from kubetune.algorithms import make_suggester
from kubetune.algorithms._values import finite
from algorithms_helpers import p_double, view


def test_finite_accepts_only_real_finite_numbers():
    assert finite(0.0) and finite(-3) and finite(1e308)
    assert not any(finite(v) for v in (None, math.nan, math.inf, -math.inf))


def test_a_diverged_trial_is_told_as_a_failure_and_its_bad_steps_are_dropped():
    suggester = make_suggester("random", {"random_state": "1"}, [p_double("x", 0.0, 1.0)], "minimize")
    asked = suggester.suggest(4, [])
    objectives = [math.nan, math.inf, 0.3, 0.5]
    states = ["Succeeded", "Succeeded", "Succeeded", "EarlyStopped"]
    intermediate = [(), (), (), (0.9, math.nan, 0.7)]
    suggester.suggest(0, [view(f"t{i}", s.assignments, state, obj, intermediate=inter)
                          for i, (s, state, obj, inter) in enumerate(zip(asked, states, objectives, intermediate))])
    frozen = suggester.study.get_trials(deepcopy=False)
    assert [t.state for t in frozen] == [TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE, TrialState.PRUNED]
    assert frozen[3].intermediate_values == {0: 0.9, 1: 0.7, 2: 0.5}
