"""A forked warm child is the process the subprocess launcher would have started: same argv, env,
cwd, `__main__`, output, exit status and signals. Every case runs the same command both ways."""
from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest

from launch_helpers import PY, SCRIPTS, finish, run_one, start, wait_for_line


def both(plain, warm, tmp_path, argv, cwd=None, env=None, gpu_ids=None, same_cwd=False):
    """(subprocess outcome, warm outcome), each in a directory of its own unless `cwd` is given."""
    out = []
    for name, launcher in (("sub", plain), ("warm", warm)):
        d = tmp_path / name
        d.mkdir(exist_ok=True)
        out.append(run_one(launcher, argv, cwd or d, d / "log", env, gpu_ids))
    assert out[1].forked and not out[0].forked, warm.messages
    return out


def probe(outcome):
    return json.loads(outcome.log)


@pytest.mark.parametrize("argv, cwd", [
    ([PY, "probe.py", "a", "--b=c d"], SCRIPTS),
    ([PY, str(SCRIPTS / "probe.py"), "x"], "tmp"),
    ([PY, "-m", "probe", "m1", "-m"], SCRIPTS),
    ([PY, "-u", "-B", "probe.py"], SCRIPTS),
    ([PY, "-c", "import json, os, sys; print(json.dumps([sys.argv, sys.path[0], os.getcwd(), sorted(globals())]))",
      "arg"], SCRIPTS),
])
def test_main_argv_path_and_file_as_the_interpreter_sets_them(plain, warm, tmp_path, argv, cwd):
    cwd = tmp_path if cwd == "tmp" else cwd
    env = {"KT_PARAM": "v a l", "OMP_NUM_THREADS": "1"}
    sub, forked = both(plain, warm, tmp_path, argv, cwd, env, gpu_ids=["1"])
    assert sub.rc == forked.rc == 0, (sub.log, forked.log)
    assert json.loads(forked.log) == json.loads(sub.log)
    assert forked.lines == sub.lines
    assert forked.pid != sub.pid and warm.parent.pid != forked.pid


def test_probe_sees_the_trials_environment_and_a_session_of_its_own(plain, warm, tmp_path):
    sub, forked = both(plain, warm, tmp_path, [PY, "probe.py"], SCRIPTS, {"KT_A": "1", "OMP_NUM_THREADS": "1"},
                       gpu_ids=["0", "2"])
    got = probe(forked)
    assert got == probe(sub)
    assert got["env"]["KT_A"] == "1" and got["env"]["CUDA_VISIBLE_DEVICES"] == "0,2"
    assert got["session_leader"] and got["pgrp_leader"] and got["stdin"] == ""
    assert got["pickle"] == "__main__" and got["main_is_me"] and got["file"] == str(SCRIPTS / "probe.py")


def test_a_symlinked_script_gets_the_targets_directory_as_path0(plain, warm, tmp_path):
    link = tmp_path / "link.py"
    link.symlink_to(SCRIPTS / "probe.py")
    sub, forked = both(plain, warm, tmp_path, [PY, str(link)], tmp_path, {"OMP_NUM_THREADS": "1"})
    assert probe(forked) == probe(sub)
    assert probe(forked)["path0"] == str(SCRIPTS) and probe(forked)["file"] == str(link)


@pytest.mark.parametrize("what, rc", [
    ("exit3", 3), ("exitmsg", 1), ("exitneg", 255), ("raise", 1), ("chained", 1), ("segv", -signal.SIGSEGV),
    ("kbint", -signal.SIGINT), ("osexit", 5), ("sigterm-self", -signal.SIGTERM), ("atexit", 0), ("thread", 0),
    ("syntax", 1), ("end", 0),
])
def test_exit_status_and_output_match_the_interpreter(plain, warm, tmp_path, what, rc):
    sub, forked = both(plain, warm, tmp_path, [PY, SCRIPTS / "behave.py", what], env={"OMP_NUM_THREADS": "1"})
    assert sub.rc == rc, sub.log
    assert (forked.rc, forked.reason) == (sub.rc, sub.reason)
    assert forked.log == sub.log  # tracebacks included: no frame of the warm parent shows
    if what == "atexit":
        assert (tmp_path / "warm" / "unclosed.txt").read_text() == "data written at exit\n"
        assert forked.log.endswith("body done\nend atexit\natexit ran\n")


def test_a_script_that_does_not_compile(plain, warm, tmp_path):
    sub, forked = both(plain, warm, tmp_path, [PY, SCRIPTS / "syntax_error.txt"], env={"OMP_NUM_THREADS": "1"})
    assert sub.rc == forked.rc == 1
    assert forked.log == sub.log and "SyntaxError" in sub.log


def test_a_missing_module_fails_as_python_m_does(plain, warm, tmp_path):
    sub, forked = both(plain, warm, tmp_path, [PY, "-m", "no_such_module_kt"], env={"OMP_NUM_THREADS": "1"})
    assert sub.rc == forked.rc == 1
    assert forked.log == sub.log and "No module named no_such_module_kt" in sub.log


@pytest.mark.slow
def test_a_trial_that_forks_and_uses_process_pools(plain, warm, tmp_path):
    sub, forked = both(plain, warm, tmp_path, [PY, SCRIPTS / "behave.py", "fork"], env={"OMP_NUM_THREADS": "1"})
    assert sub.rc == forked.rc == 0, forked.log
    assert forked.log == sub.log
    assert "grandchild exit 7" in forked.log and "spawn pool [4]" in forked.log


@pytest.mark.parametrize("launcher", ["plain", "warm"])
@pytest.mark.parametrize("what, reason, rc", [("sleep", "EarlyStopped", -signal.SIGTERM),
                                              ("sleep-child", "DeadlineExceeded", -signal.SIGTERM)])
def test_kill_ends_the_trials_process_group(request, launcher, tmp_path, what, reason, rc):
    log = tmp_path / "log"
    handle, events, sink = start(request.getfixturevalue(launcher), [PY, SCRIPTS / "behave.py", what], tmp_path, log,
                                 {"OMP_NUM_THREADS": "1"})
    wait_for_line(log, "sleeping")
    group = [p for p in psutil.process_iter(["pid"]) if _pgid(p.pid) == handle.pid]
    assert len(group) == (2 if what == "sleep-child" else 1)
    handle.kill(reason)
    out = finish(handle, events, sink, log, timeout=20)
    assert (out.rc, out.reason, out.forked) == (rc, reason, launcher == "warm")
    _gone([p.pid for p in group])


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["plain", "warm"])
def test_kill_escalates_to_sigkill_when_sigterm_is_ignored(request, launcher, tmp_path):
    log = tmp_path / "log"
    handle, events, sink = start(request.getfixturevalue(launcher), [PY, SCRIPTS / "behave.py", "ignore-term"],
                                 tmp_path, log, {"OMP_NUM_THREADS": "1"})
    wait_for_line(log, "sleeping")
    started = time.monotonic()
    handle.kill("Interrupted")
    out = finish(handle, events, sink, log, timeout=30)
    assert (out.rc, out.reason, out.forked) == (-signal.SIGKILL, "Interrupted", launcher == "warm")
    assert time.monotonic() - started >= 4.5 and "got SIGTERM, ignoring" in out.log


def test_nni_shim_trial_runs_warm_as_through_nni_launch(plain, warm, tmp_path):
    code = ("import json, os, sys, nni; p = nni.get_next_parameter(); "
            "print(json.dumps([sys.argv, sys.orig_argv, sys.path[:2], os.environ['PYTHONPATH'], os.environ['NNI_OUTPUT_DIR'], "
            "os.path.dirname(os.path.dirname(nni.__file__)), p])); nni.report_final_result(0.5)")
    argv = [PY, "-m", "kubetune.compat.nni_launch", "--", "python3", "-c", code, "x"]
    env = {"OMP_NUM_THREADS": "1", "KUBETUNE_NNI_SPACE": '{"v": 1, "params": {}}'}
    sub, forked = both(plain, warm, tmp_path, argv, env=env)
    assert sub.rc == forked.rc == 0, forked.log
    first = lambda o: json.loads(next(line for line in o.log.splitlines() if line.startswith("[")))  # noqa: E731
    s, f = first(sub), first(forked)
    assert s[4] == str(tmp_path / "sub") and f[4] == str(tmp_path / "warm")
    s[4] = f[4] = None
    assert f == s and f[2][1] == f[3]  # the shim's directory right after sys.path[0], as PYTHONPATH puts it
    rest = lambda o: [line.split(" ", 1)[-1] for line in o.log.splitlines() if not line.startswith("[")]  # noqa: E731
    assert rest(forked) == rest(sub) == ["default=0.5"]  # after the report's timestamp


def test_a_module_in_the_trials_directory_that_shadows_a_preloaded_one_gets_a_fresh_interpreter(
        plain, warm, tmp_path):
    (tmp_path / "json.py").write_text("MARK = 'local json'\n")
    (tmp_path / "use_json.py").write_text("import json\nprint(json.MARK)\n")
    outs = [run_one(launcher, [PY, "use_json.py"], tmp_path, tmp_path / f"log-{n}", {"OMP_NUM_THREADS": "1"})
            for n, launcher in (("sub", plain), ("warm", warm))]
    assert outs[0].log == outs[1].log == "local json\n"
    assert any("fresh interpreter" in m and "json.py" in m for m in warm.messages)


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _gone(pids, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return
        time.sleep(0.1)
    raise AssertionError(f"still running: {alive}")
