"""What the Python tests of cask serve share: a check that records
failures, and a serve_for_tests process on the memory store.

Imported by listing_test.py and hardening_test.py (a script's own
directory is on Python's import path).
"""
import re
import subprocess
import sys

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def exit_with_failures():
    print("%d failure(s)" % len(FAILS))
    sys.exit(1 if FAILS else 0)


class ServeProcess:
    """serve_for_tests on the memory store; `port` is where it listens."""

    def __init__(self, serve, *flags):
        self.proc = subprocess.Popen([serve, "mem:", *flags],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            raise SystemExit("server did not start: " + line +
                             self.proc.stderr.read())
        self.port = int(m.group(1))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
