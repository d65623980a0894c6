"""`kubetune serve suggestion|early-stopping --port PORT`: kubetune's algorithms and early-stopping
rules as Katib's gRPC Suggestion / EarlyStopping services (kubetune.serve), for the images that
katib-config registers (docs/cluster.md). Runs until SIGTERM/SIGINT; exit 0 then, 2 when the
port cannot be bound."""
from __future__ import annotations

import argparse
import logging
import sys

from .common import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    from kubetune.serve.ports import DEFAULT_PORTS, EARLY_STOPPING, SUGGESTION

    s = sub.add_parser("serve", help="run kubetune's algorithms / early-stopping rules as Katib gRPC services")
    s.set_defaults(func=lambda a: s.print_help() or 2)
    ssub = s.add_subparsers(metavar="SERVICE")
    for kind, text in ((SUGGESTION, "Katib's Suggestion service (GetSuggestions, ValidateAlgorithmSettings)"),
                       (EARLY_STOPPING, "Katib's EarlyStopping service (GetEarlyStoppingRules, SetTrialStatus, "
                                        "ValidateEarlyStoppingSettings)")):
        p = ssub.add_parser(kind, help=text, description=text + "; docs/cluster.md shows how Katib uses it.")
        p.add_argument("--port", type=int, default=DEFAULT_PORTS[kind],
                       help=f"port to listen on (default {DEFAULT_PORTS[kind]}, Katib's; 0: any free port)")
        p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
        p.add_argument("--workers", type=int, default=8, help="concurrent requests (default 8)")
        if kind == SUGGESTION:
            p.add_argument("--seed", type=int, help="sampler seed when the settings carry no random_state "
                                                    "(as `kubetune run --seed`)")
        else:
            p.add_argument("--namespace", help="namespace of the Trials SetTrialStatus marks (default: the pod's)")
            p.add_argument("--kubeconfig", help="kubeconfig for SetTrialStatus outside a pod")
        p.set_defaults(func=cmd_serve, kind=kind)


def cmd_serve(args) -> int:
    from kubetune.serve.ports import SUGGESTION
    from kubetune.serve.server import run_until_signalled, start_server

    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: must be 0..65535")
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: must be >= 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.kind == SUGGESTION:
        options = {"seed": args.seed}
    else:
        from kubetune.serve.trial_status import TrialStatusWriter

        options = {"status_writer": TrialStatusWriter(args.namespace, args.kubeconfig)}
    try:
        server, port = start_server(args.kind, args.port, args.host, args.workers, **options)
    except OSError as e:
        raise UserError(str(e)) from None
    # one parseable line, flushed: scripts and tests wait for it (--port 0 tells the port here)
    print(f"kubetune serve {args.kind}: listening on {args.host}:{port}", flush=True)
    run_until_signalled(server)
    print(f"kubetune serve {args.kind}: stopped", file=sys.stderr)
    return 0
