"""Katib's `Suggestion` gRPC service over kubetune's algorithms (`kubetune serve suggestion`).

GetSuggestions: the request's Experiment becomes a kubetune Experiment (convert.py), its trials
TrialViews, and `build_suggester(exp).suggest(count, trials)` - the code `kubetune run` calls -
answers. Every algorithm the registry can build is served, under its Katib name and kubetune's
own names, with the conditions / objectives extensions in their settings form.

State: Katib sends every trial with each request and restarts suggestion pods at will, so a
suggester is always rebuilt from the request alone when it is not at hand (exactly what a resumed
`kubetune run` does). While the pod lives, the suggester of an experiment is kept and asked again
(as the local engine keeps its suggester across a run), so an uninterrupted Katib experiment
follows the same trajectory as an uninterrupted `kubetune run` with the same seed. A kept
suggester is only reused for the same experiment name and spec and a trial list that still holds
every trial it has seen; anything else rebuilds. Requests for one experiment are served one at a
time; different experiments in parallel.

ValidateAlgorithmSettings: the problems `kubetune validate` prints for the settings (Katib's
stage B, the run-time errors kubetune run refuses, the extension errors), INVALID_ARGUMENT.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from kubetune.algorithms import AlgorithmContext, Suggester, SuggestionError, find_algorithm, registered_algorithms
from kubetune.algorithms.extended import build_suggester
from kubetune.algorithms.registry import run_time_problems, settings_errors
from kubetune.experiment.errors import Problem, SpecError
from kubetune.experiment.extensions import extension_problems
from kubetune.experiment.types import Experiment
from kubetune.experiment.validate import settings_of
from kubetune.serve.convert import experiment_from_proto, reply_assignments, trial_views
from kubetune.serve.errors import RequestError, guarded
from kubetune.serve.kept import KeptByExperiment, message_key
from kubetune.serve.katib_api import api_pb2 as api
from kubetune.serve.katib_api import api_pb2_grpc

_log = logging.getLogger(__name__)
DEFAULT_KEPT_EXPERIMENTS = 16


def settings_problems(exp: Experiment) -> list[Problem]:
    """The errors that make this Experiment unrunnable by the service, as `kubetune validate`
    words them."""
    name = exp.algorithm.name
    algorithm = find_algorithm(name)
    if algorithm is None or algorithm.factory is None:
        what = "is not a kubetune algorithm" if algorithm is None else "runs on Katib's own service only"
        return [Problem("spec.algorithm.algorithmName", f"{name!r} {what}",
                        hint=f"kubetune serves: {', '.join(registered_algorithms())}")]
    try:
        parameters = exp.parameters
    except SpecError as e:
        return e.errors
    if not parameters:
        return [Problem("spec.parameters", "no parameters: there is nothing to suggest")]
    ctx = AlgorithmContext(name, settings_of(exp.spec["algorithm"]), exp.spec)
    problems = settings_errors(ctx) + run_time_problems(ctx) + extension_problems(exp)
    return [p for p in problems if p.is_error]


def check_runnable(exp: Experiment) -> None:
    """RequestError (INVALID_ARGUMENT) with settings_problems' words when there are any."""
    errors = settings_problems(exp)
    if errors:
        raise RequestError("; ".join(str(p) for p in errors))


@dataclass
class _Kept:
    key: str
    suggester: Suggester
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SuggestionService(api_pb2_grpc.SuggestionServicer):
    def __init__(self, kept_experiments: int = DEFAULT_KEPT_EXPERIMENTS, seed: int | None = None) -> None:
        self.seed = seed  # used when the settings carry no random_state, as `kubetune run --seed`
        self._kept: KeptByExperiment[_Kept] = KeptByExperiment(kept_experiments)
        self._lock = threading.Lock()  # guards rebuilds
        self.rebuilds = 0  # suggesters built from a request (first call, restart, changed spec)

    @guarded("ValidateAlgorithmSettings")
    def ValidateAlgorithmSettings(self, request, context):
        check_runnable(experiment_from_proto(request.experiment))
        return api.ValidateAlgorithmSettingsReply()

    @guarded("GetSuggestions")
    def GetSuggestions(self, request, context):
        count = request.current_request_number
        if count < 0:
            raise RequestError(f"current_request_number: found {count}; must be >= 0")
        exp = experiment_from_proto(request.experiment)
        check_runnable(exp)
        trials = trial_views(request.trials, exp.objective.metric_name)
        names = {t.name for t in trials}
        if len(names) != len(trials):
            raise RequestError("trials: two trials have the same name")
        kept = self._kept_for(exp, request.experiment, names)
        with kept.lock:
            try:
                suggestions = kept.suggester.suggest(count, trials)
            except SuggestionError as e:
                self._kept.forget(exp.name, kept)
                raise RequestError(str(e)) from None
            except Exception:
                self._kept.forget(exp.name, kept)  # a half-updated suggester is not trusted again
                raise
            kept.seen = names
        if len(suggestions) < count:
            _log.info("experiment %s: %d of %d assignment(s) (the algorithm waits for running trials, or the "
                      "search space is exhausted)", exp.name, len(suggestions), count)
        return api.GetSuggestionsReply(parameter_assignments=reply_assignments(suggestions))

    def _kept_for(self, exp: Experiment, request_experiment: api.Experiment, names: set[str]) -> _Kept:
        key = message_key(request_experiment)
        kept = self._kept.get(exp.name, lambda k: k.key == key and k.seen <= names)
        if kept is not None:
            return kept
        try:
            suggester = build_suggester(exp, self.seed)
        except SuggestionError as e:
            raise RequestError(str(e)) from None
        kept = _Kept(key, suggester)
        with self._lock:
            self.rebuilds += 1
        self._kept.put(exp.name, kept)
        return kept
