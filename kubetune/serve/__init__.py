"""kubetune's algorithms and early-stopping rules as Katib gRPC services (`kubetune serve`).

Katib is extended through custom Suggestion and EarlyStopping services registered in its
`katib-config` ConfigMap and spoken to over its gRPC API (pkg/apis/manager/v1beta1/api.proto).
This part is a thin adapter between that API and kubetune.algorithms; no algorithm logic lives here.

katib_api/     Katib's api.proto (vendored, commit in its header) and the stubs compiled from it
               (`make proto`; checked in, tests/serve fails when they are stale)
convert.py     gRPC messages <-> kubetune types (Experiment spec, TrialView, Suggestion, Rule)
suggestion.py  the Suggestion service: GetSuggestions, ValidateAlgorithmSettings
earlystopping.py  the EarlyStopping service: GetEarlyStoppingRules (curves from Katib's DBManager),
               ValidateEarlyStoppingSettings, SetTrialStatus (trial_status.py: the Trial's condition)
errors.py      every failure answered as a gRPC status (INVALID_ARGUMENT with kubetune validate's words)
kept.py        what both services keep per experiment between calls (LRU, keyed by the spec)
server.py      the grpc server, the health service Katib probes, signal handling
ports.py       service names and Katib's ports (import-free: the CLI reads them at start-up)

Dependencies point one way: kubetune.cli -> serve -> algorithms -> experiment (and cluster, for
the Trial status write).
"""
