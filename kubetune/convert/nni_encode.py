"""NNI search-space entries -> Katib parameters, plus the record the NNI shim decodes them with.

Two ways a value reaches the trial:

* shim mode (an NNI trial script): one env var per Katib parameter, substituted by Katib's
  `${trialParameters.x}` into `env[].value`, plus `KUBETUNE_NNI_SPACE`, a JSON record of the NNI
  space (types, q, bounds, choice values, nested structure). `kubetune.compat.nni` rebuilds the
  exact dict NNI would have given: original choice values and their JSON types, q rounding and
  clipping, randint as int, nested choices as `{"_name": ..., sub: ...}`.
* trainer mode (`python -m trainer train`): each parameter becomes a `--<key>=<value>` flag; Katib's
  value is what the trainer gets, so the encodings there keep NNI's value set (e.g. a q-grid as a
  discrete list when Katib's step grid would differ).

Per type (nni-semantics 8.3), for the algorithm families that honour distributions and steps:
choice -> discrete (numbers) / categorical (strings) / categorical of option indices (anything
else); randint [l, u] -> discrete l..u-1 (random/tpe, small ranges: uniform like NNI) or int
[l, u-1]; uniform -> double; q(log)uniform -> double/int with step q when the bounds are multiples
of q (else no step, the shim rounds); loguniform -> logUniform; (q)normal/(q)lognormal -> normal/logNormal
on min/max = mu -/+ 3 sigma (exp of it), step q, for random/tpe, which sample it as NNI does (hyperopt's
unclipped normal, on a cluster and in kubetune run), else uniform/logUniform on those bounds (noted); nested
choice -> a parent categorical plus one parameter per sub-parameter. Grid search needs finite lists:
continuous types are discretised (NNI 2.6+ bisection, 7 points), nested choices enumerated jointly.
Every approximation is recorded as a note and a comment next to the parameter.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from kubetune.algorithms.nni_fixed_product import allowed_triples, format_triple
from kubetune.compat.nni import SPACE_ENV  # noqa: F401  (re-exported for the converter)
from kubetune.experiment import distributions as dist_table
from kubetune.experiment.katib_text import katib_string

from .errors import Note, Problems
from .nni_space import Entry, grid_configs, grid_values, on_q_grid, q_support, q_support_size

RECORD_VERSION = 1
SMALL_RANDINT = 100  # randint ranges up to this size become a uniform discrete list under random/tpe
MAX_LIST = 1000  # longest q-grid written out as a discrete list


def family(algorithm: str) -> str:
    return {"random": "hyperopt", "tpe": "hyperopt", "grid": "grid", "bayesianoptimization": "skopt",
            "cmaes": "goptuna", "hyperband": "hyperband", "pbt": "pbt"}.get(algorithm, "optuna")


def _samples_like_nni(algorithm: str, kind: str) -> bool:
    """Does `algorithm` draw Katib's `kind` (normal/logNormal) as NNI's (q)(log)normal, on every
    Katib version and in kubetune run? (hyperopt's unclipped normal: random, tpe.)"""
    return dist_table.samples_unclipped_normal(algorithm) and all(
        dist_table.same_everywhere(algorithm, ptype, kind) for ptype in ("int", "double"))


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, int) else repr(float(value))


@dataclass
class Encoded:
    parameters: list[dict] = field(default_factory=list)
    trial_parameters: list[dict] = field(default_factory=list)
    env: list[dict] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    record: dict = field(default_factory=lambda: {"v": RECORD_VERSION, "params": {}})
    comments: dict[str, list[str]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


class Encoder:
    def __init__(self, algorithm: str, mode: str, problems: Problems, config_problems: Problems | None = None):
        """`problems` collects search-space errors, `config_problems` those about the config file."""
        self.algorithm, self.mode, self.problems = algorithm, mode, problems
        self.config_problems = config_problems if config_problems is not None else problems
        self.family = family(algorithm)
        self.out = Encoded()
        self._names: set[str] = set()
        self._envs: set[str] = set()

    # -- bookkeeping ---------------------------------------------------------------------
    def _unique(self, raw: str, taken: set[str], pattern: str) -> str:
        base = re.sub(pattern, "_", raw) or "p"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        return name

    def approx(self, name: str, entry: Entry | None, text: str) -> None:
        self.out.comments.setdefault(name, []).append(text)
        self.out.notes.append(Note(entry.path if entry else name, text))

    def comment(self, name: str, text: str) -> None:
        self.out.comments.setdefault(name, []).append(text)

    def add(self, raw_name: str, ptype: str, space: dict, description: str, flag: str | None = None) -> tuple[str, str]:
        """Declare a Katib parameter; returns (Katib name, env var name or '')."""
        name = self._unique(raw_name, self._names, r"[^A-Za-z0-9_-]")
        self.out.parameters.append({"name": name, "parameterType": ptype, "feasibleSpace": space})
        self.out.trial_parameters.append({"name": name, "reference": name, "description": description})
        placeholder = "${trialParameters.%s}" % name
        if self.mode == "trainer":
            self.out.flags.append(f"--{flag or raw_name}={placeholder}")
            return name, ""
        env = self._unique("NNI_PARAM_" + name, self._envs, r"[^A-Za-z0-9_]")
        self.out.env.append({"name": env, "value": placeholder})
        return name, env

    # -- entries ---------------------------------------------------------------------------
    def encode_space(self, entries: list[Entry]) -> None:
        for e in entries:
            if self.mode == "trainer" and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", e.key):
                self.problems.add(e.path, f"{e.key!r} cannot be passed to the trainer as a --flag (letters, digits, "
                                          "_ . - only)")
                continue
            self.out.record["params"][e.key] = self.encode(e, e.key, e.key)

    def encode(self, e: Entry, name: str, flag: str | None) -> dict:
        desc = f"NNI {e.type} {json.dumps(e.value)}" if e.type != "choice" else \
            f"NNI {'nested ' if e.nested else ''}choice of {len(e.value)}"
        if e.nested:
            return self.nested(e, name, desc)
        if e.type == "choice":
            return self.choice(e, name, flag, desc)
        if e.type == "randint":
            return self.randint(e, name, flag, desc)
        return self.continuous(e, name, flag, desc)

    def choice(self, e: Entry, name: str, flag: str | None, desc: str) -> dict:
        values = e.value
        strings = [katib_string(v) for v in values]
        scalar = all(isinstance(v, (str, int, float)) for v in values)
        unique = len(set(strings)) == len(strings)
        plain = all(s and '"' not in s and "\\" not in s and "${" not in s and "\n" not in s for s in strings)
        if self.mode == "trainer" and any(re.search(r"[\s'\"\\$`|&;<>()*?#~{}\[\]!]", x) for x in strings):
            self.problems.add(e.path, "the trainer gets choice values as --flag values, and on a cluster Katib runs "
                                      "the command under sh -c, where spaces and shell characters split or expand "
                                      f"them; found {json.dumps(values)[:80]} (an NNI trial script gets any value "
                                      "through env vars)")
        elif self.mode == "trainer" and not (scalar and unique and plain):
            self.problems.add(e.path, "the trainer takes choice values as --flag values: numbers, strings or "
                                      "booleans, distinct, without quotes or backslashes; found "
                                      f"{json.dumps(values)[:80]} (an NNI trial script reads any JSON value)")
        if scalar and unique and plain:
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            if numbers and self.family == "hyperband" and not all(isinstance(v, int) for v in values):
                numbers = False  # Katib's hyperband needs integer strings in a discrete list
            katib_name, env = self.add(name, "discrete" if numbers else "categorical", {"list": strings}, desc, flag)
            if any(isinstance(v, bool) for v in values):
                self.comment(katib_name, "true/false are the JSON booleans of the NNI space")
            return {"t": "choice", "env": env, "enc": "value", "keys": strings, "values": values}
        katib_name, env = self.add(name, "categorical", {"list": [str(i) for i in range(len(values))]}, desc, flag)
        listing = ", ".join(f"{i} = {json.dumps(v)}" for i, v in enumerate(values))
        self.comment(katib_name, f"option indices (values that Katib cannot list verbatim): {listing[:300]}")
        return {"t": "choice", "env": env, "enc": "index", "values": values}

    def randint(self, e: Entry, name: str, flag: str | None, desc: str) -> dict:
        low, high = e.low, e.high
        n = high - low
        if n == 1:
            space, ptype = {"list": [str(low)]}, "discrete"
        elif self.family == "hyperopt" and n <= SMALL_RANDINT:
            space, ptype = {"list": [str(i) for i in range(low, high)]}, "discrete"
        else:
            space, ptype = {"min": str(low), "max": str(high - 1)}, "int"
        katib_name, env = self.add(name, ptype, space, desc, flag)
        self.comment(katib_name, f"randint's upper bound {high} is exclusive: values {low}..{high - 1}")
        if ptype == "int" and self.family == "hyperopt":
            self.approx(katib_name, e, f"hyperopt rounds a uniform draw for ints, so {low} and {high - 1} get half "
                                       "the probability of the inner values (NNI: all equal)")
        return {"t": "randint", "env": env, "lo": low, "hi": high}

    def continuous(self, e: Entry, name: str, flag: str | None, desc: str) -> dict:
        t, q = e.type, e.q
        node: dict = {"t": t, "env": ""}
        if t in ("uniform", "quniform", "loguniform", "qloguniform"):
            node.update(lo=e.low, hi=e.high)
        if q is not None:
            node["q"] = q
        if self.family == "grid":
            values = grid_values(e)
            integral = q is not None and all(float(v).is_integer() for v in e.value)
            if t == "quniform" and integral and on_q_grid(e.low, q) and on_q_grid(e.high, q):
                space, ptype = {"min": _num(int(e.low)), "max": _num(int(e.high)), "step": _num(int(q))}, "int"
            else:
                space, ptype = {"list": [repr(float(v)) for v in values]}, "discrete"
            katib_name, node["env"] = self.add(name, ptype, space, desc, flag)
            if t not in ("quniform", "qloguniform"):
                self.approx(katib_name, e, f"grid: {t} discretised to {len(values)} values (NNI 2.6+ grid's first 3 "
                                           "bisection levels)")
            return node
        log = t in ("loguniform", "qloguniform", "lognormal", "qlognormal")
        exact_normal = False
        if t in ("normal", "qnormal", "lognormal", "qlognormal"):
            mu, sigma = e.value[0], e.value[1]
            lo, hi = mu - 3 * sigma, mu + 3 * sigma
            if log:
                lo, hi = math.exp(lo), math.exp(hi)
        else:
            lo, hi = e.low, e.high
        space: dict = {"min": repr(float(lo)), "max": repr(float(hi))}
        ptype = "double"
        katib_name_hint = name
        notes: list[str] = []
        comments: list[str] = []
        # distribution
        if t in ("loguniform", "qloguniform"):
            if self.family in ("hyperopt", "optuna", "skopt"):  # skopt: log-uniform on every Katib version
                space["distribution"] = "logUniform"
            else:
                notes.append(f"{self.algorithm} ignores distributions: sampled uniformly on [{lo}, {hi}] instead "
                             "of log-uniformly (approximation)")
        elif t in ("normal", "qnormal", "lognormal", "qlognormal"):
            kind = "logNormal" if log else "normal"
            if exact_normal := _samples_like_nni(self.algorithm, kind):
                space["distribution"] = kind
                comments.append(f"NNI {t}(mu={e.value[0]}, sigma={e.value[1]}{f', q={q}' if q is not None else ''}) "
                                f"exactly: Katib's hyperopt takes mu = (min + max) / 2, sigma = (max - min) / 6"
                                f"{' on ln(min)..ln(max)' if log else ''} and does not clip to [min, max], as NNI; "
                                "kubetune run samples it alike")
            else:
                if log and self.family == "skopt":
                    space["distribution"] = "logUniform"  # what skopt samples on every Katib version
                notes.append(f"{self.algorithm} has no {kind} distribution: sampled "
                             f"{'log-' if log and self.family == 'skopt' else ''}uniformly on [{lo:.6g}, {hi:.6g}] "
                             f"({'exp(mu -/+ 3 sigma)' if log else 'mu -/+ 3 sigma'}) instead (approximation: the bell "
                             f"shape is lost; random and tpe sample NNI's {t} exactly)")
        # step
        if q is not None:
            bounded = t in ("quniform", "qloguniform")
            multiples = bounded and on_q_grid(e.low, q) and on_q_grid(e.high, q)
            integral = bounded and all(float(v).is_integer() for v in e.value)
            steps_ok = self.family in ("hyperopt", "goptuna", "pbt", "optuna")
            if not bounded and exact_normal:
                space["step"] = repr(float(q))  # hyperopt's qnormal/qlognormal: round(x / q) * q, as NNI
            elif bounded and steps_ok and multiples:
                space["step"] = repr(float(q))
                if integral:
                    ptype = "int"
                    space.update(min=str(int(e.low)), max=str(int(e.high)), step=str(int(q)))
                    comments.append(f"NNI delivers q-types as floats ({float(e.low)}, ...): the NNI shim converts "
                                    "Katib's int back; the trainer accepts either")
            elif self.mode == "trainer" and bounded and q_support_size(e.low, e.high, q) <= MAX_LIST:
                values = q_support(e.low, e.high, q)
                # Katib's hyperband reads a discrete list as integer strings only
                space, ptype = {"list": [repr(v) for v in values]}, ("categorical" if self.family == "hyperband"
                                                                     else "discrete")
                notes.append(f"{t} written as its {len(values)} possible values, each equally likely "
                             "(approximation of NNI's weights)")
            elif self.mode == "trainer":
                notes.append(f"the trainer receives Katib's unrounded value (NNI rounds to multiples of {q}); "
                             "use an NNI trial script for exact q rounding (approximation)")
            else:
                comments.append(f"Katib records the unrounded draw; the trial gets NNI's value, rounded to a multiple "
                                f"of {q}{' and clipped to the bounds' if bounded else ''}")
        if self.family == "pbt" and ptype == "double" and "step" not in space:
            step = (hi - lo) / 100
            space["step"] = repr(float(step))
            notes.append(f"pbt needs a step for doubles: {step:.6g} (1/100 of the range) added (approximation)")
        if self.family == "hyperband" and space.get("distribution"):
            space.pop("distribution")
        katib_name, node["env"] = self.add(katib_name_hint, ptype, space, desc, flag)
        for text in comments:
            self.comment(katib_name, text)
        for text in notes:
            self.approx(katib_name, e, text)
        return node

    def nested(self, e: Entry, name: str, desc: str) -> dict:
        if self.mode == "trainer":
            self.problems.add(e.path, "a nested choice cannot be passed to the trainer as flags; run an NNI trial "
                                      "script (it gets the nested dict through the NNI shim)")
            return {}
        options = e.options or []
        if self.family == "grid":
            configs = grid_configs(e)
            katib_name, env = self.add(name, "categorical", {"list": [str(i) for i in range(len(configs))]}, desc)
            listing = ", ".join(f"{i} = {json.dumps(c)}" for i, c in enumerate(configs[:5]))
            self.comment(katib_name, f"grid: each index is one complete nested configuration ({len(configs)} in all): "
                                     f"{listing}{', ...' if len(configs) > 5 else ''}")
            return {"t": "joint", "env": env, "values": configs}
        names = [o.name for o in options]
        strings = [katib_string(n) for n in names]
        plain = (all(isinstance(n, str) and n and '"' not in n and "\\" not in n and "${" not in n for n in names)
                 and len(set(strings)) == len(strings))
        space = {"list": strings if plain else [str(i) for i in range(len(options))]}
        katib_name, env = self.add(name, "categorical", space, desc)
        node = {"t": "nested", "env": env, "enc": "value" if plain else "index", "keys": strings, "options": []}
        subs = []
        for i, option in enumerate(options):
            params = {}
            for sub in option.params:
                params[sub.key] = self.encode(sub, f"{katib_name}__{i}__{sub.key}", None)
                subs.append(f"{katib_name}__{i}__{sub.key}")
            node["options"].append({"name": option.name, "params": params})
        text = f"nested choice: options {', '.join(strings)}"
        if subs:
            text += (f"; sub-parameters {', '.join(subs)} apply only to their option (<parent>__<option index>__<name>). "
                     "Katib has no conditional parameters, so they are sampled for every trial and ignored when "
                     "their option is not chosen")
            self.comment(katib_name, text)
            if self.family != "hyperopt" or self.algorithm != "random":
                self.out.notes.append(Note(e.path, "nested choice flattened: random search keeps NNI's distribution; "
                                                   f"{self.algorithm} also sees the inactive sub-parameters "
                                                   "(approximation)"))
        else:
            self.comment(katib_name, text)
        return node

    # -- special tuners --------------------------------------------------------------------
    def fixed_product(self, entries: list[Entry], product: float, max_trials: int | None) -> None:
        scaling = [e for e in entries if e.key in ("alpha", "beta", "gamma")]
        others = [e for e in entries if e.key not in ("alpha", "beta", "gamma")]
        space = {e.key: {"_type": e.type, "_value": e.value} for e in scaling}
        triples = allowed_triples(space, product)
        if not triples:
            self.config_problems.add("tuner.classArgs.product", f"no (alpha, beta, gamma) of the search space has "
                                                         f"alpha*beta^2*gamma^2 within 0.1 of {product}")
            return
        total = len(triples)
        if max_trials is not None and max_trials < total and not others:
            triples = triples[:max_trials]
        name, env = self.add("scaling", "categorical", {"list": [format_triple(t) for t in triples]},
                             f"(alpha, beta, gamma) with alpha*beta^2*gamma^2 ~ {product:g}", "scaling")
        text = (f"FixedProductTuner (NNI 1.x): {total} of the grid's triples have |alpha*beta^2*gamma^2 - {product:g}| "
                "< 0.1, listed in NNI's order as 'alpha,beta,gamma'")
        if len(triples) < total:
            text += (f"; maxTrialNum {max_trials} keeps NNI's first {len(triples)} (the last {total - len(triples)} "
                     "never ran under NNI either)")
        self.comment(name, text)
        for i, key in enumerate(("alpha", "beta", "gamma")):
            if key in space:
                self.out.record["params"][key] = {"t": "triple", "env": env, "i": i}
        self.encode_space(others)
        # keep the NNI key order of the record
        order = [e.key for e in entries]
        self.out.record["params"] = {k: self.out.record["params"][k] for k in order if k in self.out.record["params"]}

    def batch(self, entry: Entry) -> None:
        if self.mode == "trainer":
            self.problems.add(entry.path, "BatchTuner configurations cannot be passed to the trainer as flags; run "
                                          "an NNI trial script (it gets each configuration through the NNI shim)")
            return
        values = entry.value
        name, env = self.add(entry.key, "categorical", {"list": [str(i) for i in range(len(values))]},
                             f"BatchTuner: one of {len(values)} configurations")
        self.comment(name, "BatchTuner: index of the configuration; the trial receives the configuration itself")
        self.out.record["params"][entry.key] = {"t": "choice", "env": env, "enc": "index", "values": values}
        self.out.record["batch"] = entry.key

    def trial_budget(self, r_max: int) -> None:
        name, env = self.add("TRIAL_BUDGET", "int", {"min": "1", "max": str(r_max)},
                             "hyperband resource (NNI's TRIAL_BUDGET)", "epochs")
        if self.mode == "trainer":
            self.comment(name, "hyperband's resource: passed to the trainer as --epochs")
        else:
            self.comment(name, "hyperband's resource: the trial receives it as parameter TRIAL_BUDGET (as NNI's "
                               "Hyperband/BOHB pass it)")
        self.out.record.setdefault("extra", {})["TRIAL_BUDGET"] = {"t": "int", "env": env}
