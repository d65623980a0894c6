"""`kubetune serve suggestion` over real gRPC on loopback: how long one GetSuggestions takes when the
service still holds the experiment's suggester, and when it must rebuild it from the request (the
first call after Katib restarted the suggestion pod), as the trial history grows.

    .venv/bin/python bench/serve_latency.py [--trials 50 200] [--algorithm tpe]

Prints one line per history size: kept (median of 5 calls, one new trial each) and rebuilt
(median of 3 fresh services), in milliseconds, plus the request size.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import grpc

from kubetune.serve.katib_api import api_pb2 as api
from kubetune.serve.katib_api import api_pb2_grpc
from kubetune.serve.server import start_server


def experiment(algorithm: str) -> api.Experiment:
    pb = api.Experiment(name="bench")
    s = pb.spec
    s.algorithm.algorithm_name = algorithm
    s.algorithm.algorithm_settings.add(name="random_state", value="1")
    s.objective.type = api.MINIMIZE
    s.objective.objective_metric_name = "loss"
    for name in ("x", "y", "z"):
        s.parameter_specs.parameters.add(name=name, parameter_type=api.DOUBLE,
                                         feasible_space=api.FeasibleSpace(min="-5", max="5"))
    return pb


def trial(i: int, rng: random.Random) -> api.Trial:
    values = {n: rng.uniform(-5, 5) for n in ("x", "y", "z")}
    t = api.Trial(name=f"bench-{i:05d}")
    t.spec.objective.objective_metric_name = "loss"
    for n, v in values.items():
        t.spec.parameter_assignments.assignments.add(name=n, value=repr(v))
    t.status.condition = api.TrialStatus.SUCCEEDED
    t.status.observation.metrics.add(name="loss", value=repr(sum(v * v for v in values.values())))
    return t


def timed(stub, request) -> float:
    start = time.perf_counter()
    stub.GetSuggestions(request, timeout=300)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, nargs="+", default=[50, 200])
    p.add_argument("--algorithm", default="tpe")
    args = p.parse_args()
    exp, rng = experiment(args.algorithm), random.Random(0)
    history = [trial(i, rng) for i in range(max(args.trials) + 5)]
    print(f"algorithm {args.algorithm}, 3 double parameters, loopback gRPC")
    for n in args.trials:
        rebuilt = []
        for _ in range(3):
            server, port = start_server("suggestion", 0, "127.0.0.1")
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                rebuilt.append(timed(api_pb2_grpc.SuggestionStub(channel),
                                     api.GetSuggestionsRequest(experiment=exp, trials=history[:n],
                                                               current_request_number=1)))
            server.stop(0).wait()
        server, port = start_server("suggestion", 0, "127.0.0.1")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = api_pb2_grpc.SuggestionStub(channel)
            timed(stub, api.GetSuggestionsRequest(experiment=exp, trials=history[:n], current_request_number=1))
            kept = [timed(stub, api.GetSuggestionsRequest(experiment=exp, trials=history[:n + k],
                                                          current_request_number=1)) for k in range(1, 6)]
        server.stop(0).wait()
        size = api.GetSuggestionsRequest(experiment=exp, trials=history[:n]).ByteSize()
        print(f"{n:5d} trials  kept {statistics.median(kept):7.1f} ms  rebuilt {statistics.median(rebuilt):7.1f} ms"
              f"  request {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
