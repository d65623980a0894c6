"""One behaviour per argument, for comparing launchers: exit codes, tracebacks, exit-time work."""
import atexit
import os
import signal
import sys
import threading
import time


def nested(n):
    if n == 0:
        raise ValueError("boom")
    nested(n - 1)


def main(what):
    print(f"start {what}", flush=True)
    if what == "exit3":
        sys.exit(3)
    elif what == "exitmsg":
        sys.exit("bad things")
    elif what == "exitneg":
        sys.exit(-1)
    elif what == "raise":
        nested(2)
    elif what == "chained":
        try:
            nested(1)
        except ValueError as e:
            raise RuntimeError("wrapped") from e
    elif what == "segv":
        import ctypes

        ctypes.string_at(0)
    elif what == "kbint":
        raise KeyboardInterrupt
    elif what == "osexit":
        print("unflushed?", end="")
        sys.stdout.flush()
        os._exit(5)
    elif what == "sigterm-self":
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    elif what == "atexit":
        atexit.register(lambda: print("atexit ran", flush=True))
        f = open("unclosed.txt", "w")  # never closed: the interpreter flushes it at exit
        f.write("data written at exit\n")
        print("body done")
    elif what == "thread":
        def work():
            time.sleep(0.3)
            print("non-daemon thread finished", flush=True)
        threading.Thread(target=work).start()
        print("main done", flush=True)
    elif what == "fork":
        pid = os.fork()
        if pid == 0:
            print("grandchild", flush=True)
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        print(f"grandchild exit {os.waitstatus_to_exitcode(status)}", flush=True)
        import multiprocessing as mp

        with mp.get_context("fork").Pool(2) as pool:
            print("pool", pool.map(abs, [-1, -2, -3]), flush=True)
        with mp.get_context("spawn").Pool(1) as pool:
            print("spawn pool", pool.map(abs, [-4]), flush=True)
    elif what == "sleep":
        print("sleeping", flush=True)
        time.sleep(60)
    elif what == "sleep-child":  # a trial whose own child holds the output pipe
        import subprocess

        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print("sleeping", flush=True)
        time.sleep(60)
    elif what == "ignore-term":
        signal.signal(signal.SIGTERM, lambda *a: print("got SIGTERM, ignoring", flush=True))
        print("sleeping", flush=True)
        for _ in range(600):
            time.sleep(0.1)
    elif what == "syntax":
        exec(compile("def (:\n", "<generated>", "exec"))
    print(f"end {what}")


if __name__ == "__main__":
    main(sys.argv[1])
