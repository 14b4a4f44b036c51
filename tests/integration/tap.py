"""
tap.py — the Test Anything Protocol output of a test: one numbered point
per check, diagnostics on failure, the plan, and run(), which turns an
exception into a failed point so a broken test never passes silently.
"""

import re
import sys
import threading
import traceback

_tap = {"n": 0, "failed": 0, "planned": None}
_tap_lock = threading.Lock()


def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def plan(n):
    """Announces the number of tests up front (optional: done() prints it
    otherwise)."""
    _tap["planned"] = n
    _out("1..%d" % n)


def diag(msg):
    """A comment line (or several) for the log."""
    for line in str(msg).splitlines() or [""]:
        _out("# " + line)


def ok(cond, name, detail=None):
    """One test point; `detail` (a string or a callable giving one) is
    printed as a diagnostic when it fails.  Returns the truth of cond."""
    with _tap_lock:
        _tap["n"] += 1
        n = _tap["n"]
        if not cond:
            _tap["failed"] += 1
        name = name.replace("\n", " ").replace("#", "\\#")
        _out("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond and detail is not None:
        diag(detail() if callable(detail) else detail)
    return bool(cond)


def is_(got, want, name):
    """ok() with got == want, and both shown when they differ."""
    return ok(got == want, name,
              lambda: "     got: %r\nexpected: %r" % (got, want))


def isnt(got, unwanted, name):
    return ok(got != unwanted, name, lambda: "got the unwanted %r" % (got,))


def like(got, regex, name):
    """ok() when the string got matches regex (re.search)."""
    good = isinstance(got, str) and re.search(regex, got) is not None
    return ok(good, name,
              lambda: "     got: %r\ndoes not match: %r" % (got, regex))


def cmp_ok(got, op, want, name):
    """ok() with a comparison: cmp_ok(t, "<", 1.0, "fast")."""
    ops = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
           ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
           "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
    try:
        good = ops[op](got, want)
    except TypeError:
        good = False
    return ok(good, name, lambda: "%r %s %r is false" % (got, op, want))


def skip_all(reason):
    _out("1..0 # SKIP %s" % reason)
    sys.exit(0)


def bail_out(reason):
    _out("Bail out! %s" % reason.replace("\n", " "))
    sys.exit(255)


def done():
    """Prints the plan if none was given and exits 0 only when every test
    passed and as many ran as were planned."""
    if _tap["planned"] is None:
        _out("1..%d" % _tap["n"])
    elif _tap["planned"] != _tap["n"]:
        diag("planned %d tests but ran %d" % (_tap["planned"], _tap["n"]))
        sys.exit(1)
    if _tap["failed"]:
        diag("failed %d of %d tests" % (_tap["failed"], _tap["n"]))
    sys.exit(1 if _tap["failed"] else 0)


def run(main):
    """Runs main() and done(); an exception is one failed test with its
    traceback, so a broken test never passes silently."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        ok(False, "test ran to its end without an exception",
           traceback.format_exc())
    done()
