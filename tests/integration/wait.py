"""
wait.py — waiting without bare sleeps: poll() for a state with a
deadline, and Background to run a call in a thread while the test does
something else.
"""

import threading
import time


def poll(fn, timeout, interval=0.05):
    """Calls fn() until it returns something true or `timeout` seconds have
    passed; returns that value, or the last (false) one."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Background(threading.Thread):
    """Runs fn(*args) in a thread; .result / .error after join()."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args = fn, args
        self.result = self.error = None
        self.t_start = self.t_end = None

    def run(self):
        self.t_start = time.monotonic()
        try:
            self.result = self.fn(*self.args)
        except BaseException as e:
            self.error = e
        self.t_end = time.monotonic()

    @property
    def elapsed(self):
        return None if self.t_end is None else self.t_end - self.t_start
