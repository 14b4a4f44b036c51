#!/usr/bin/python3
"""
run.py -- the fault suite: for each fault, a steady mixed load runs through
HAProxy while the fault happens, then the invariants are checked (see
invariants.py).  TAP on stdout, one test point per invariant and fault.

  tests/fault/run.py [--only=NAME,...] [--write-doc=PATH] [--list]

It runs against the stack of the PFO3_* environment (./stack test runs it
after make check on the same private stack).  The whole run is bounded by
PFO3_FAULT_BUDGET seconds (default 600); a fault the budget has no room
for fails as "not run".  Results go to $PFO3_RUN_DIR/fault-results.json;
--write-doc also renders them as doc/RELIABILITY.md.
"""
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from api import TEST_PASSWORD, bearer  # noqa: E402
from httpc import http  # noqa: E402
from psql import psql  # noqa: E402
from stackenv import srcdir, stack  # noqa: E402
from tap import diag, done, ok  # noqa: E402
import invariants as inv  # noqa: E402
from control import Control  # noqa: E402
from load import Account, Load, image  # noqa: E402
from reliability import write_doc  # noqa: E402
from scenarios import all_scenarios  # noqa: E402

BUDGET = float(os.environ.get("PFO3_FAULT_BUDGET", 600))
WARM = 2.0              # seconds of load before the fault
RECOVERY_BOUND = 20.0   # every worker UP, every route 2xx, after the fault
JOB_BOUND = 30.0        # accepted jobs done after recovery
# An unfinished multipart upload may live this long: the test stack's
# storage.stale_after (90 s) and storage.reconcile_interval (10 s), with 5 s
# for the reconciler's run (build-aux/stack/workers.sh).
STALE_BOUND = 105
# The longest any request of the load may take: the longest dependency
# deadline of the default configuration (postgres.query_timeout, 12 s) and
# 3 s more; a frozen dependency must not hold a client past it.
ANSWER_BOUND = float(os.environ.get("PFO3_FAULT_ANSWER_BOUND", 15))


class Ctx:
    pass


_template = {}


def account(addr, tag):
    """A user made by copying the row (and so the password hash) of one
    registered user: the suite needs dozens, and registration is rate
    limited per source.  Logged in, with one file to download."""
    if "id" not in _template:
        email = "fault-template.%s@example.org" % os.urandom(4).hex()
        r = http(addr, "POST", "/api/v1/users",
                 {"email": email, "password": TEST_PASSWORD, "name": "fault"})
        if r.status != 201:
            raise RuntimeError("register %s: %d %r" % (email, r.status,
                                                         r.body))
        _template["id"] = int(psql("SELECT id FROM users WHERE email = "
                                   "'%s'" % email))
    email = "fault-%s.%s@example.org" % (tag, os.urandom(5).hex())
    uid = int(psql("INSERT INTO users (email, name, password_hash) SELECT "
                   "'%s', '%s', password_hash FROM users WHERE id = %d "
                   "RETURNING id" % (email, tag, _template["id"])).split()[0])
    r = http(addr, "POST", "/api/v1/login",
             {"email": email, "password": TEST_PASSWORD})
    if r.status != 200:
        raise RuntimeError("login %s: %d %r" % (email, r.status, r.body))
    token = r.json()["token"]
    data = image(uid & 255)
    r = http(addr, "POST", "/api/v1/files?name=seed.png", data,
             bearer(token), content_type="image/png")
    if r.status != 201:
        raise RuntimeError("seed upload: %d %r" % (r.status, r.body))
    return Account(uid, email, TEST_PASSWORD, token, int(r.json()["id"]),
                   data)


def recovered(ctx, t_end):
    """Seconds after the fault until every worker is UP in HAProxy and
    every route of the load answered again, or None past the bound."""
    deadline = t_end + RECOVERY_BOUND
    while time.monotonic() < deadline:
        if inv.all_up(ctx.st):
            kinds = {a.kind for a in ctx.load.attempts}
            back = {a.kind for a in list(ctx.load.attempts)
                    if a.t0 >= t_end and a.answered()}
            if kinds <= back:
                return time.monotonic() - t_end
        time.sleep(0.2)
    return None


def not_back(ctx, t_end):
    """What had not recovered: workers not UP, routes with no answer."""
    out = []
    for b in ("workers", "seed"):
        for w, row in sorted(inv.backend_servers(ctx.st, b).items()):
            if row["status"] != "UP":
                out.append("%s/%s %s" % (b, w, row["status"]))
    kinds = {a.kind for a in ctx.load.attempts}
    back = {a.kind for a in ctx.load.attempts
            if a.t0 >= t_end and a.answered()}
    out += ["no %s answered since" % k for k in sorted(kinds - back)]
    return ", ".join(out)


def settle_keys(ctx):
    """Sends once more each key whose last answer was lost, as a client
    would once the stack is back; the answer tells whether it ran."""
    for key, attempts in list(ctx.load.keys.items()):
        if key in ctx.load.requests and (attempts[-1].lost() or
                                         attempts[-1].status == 409):
            ctx.load.resend(key)


def run_one(sc, ctx, result):
    """One fault: load, fault, recovery, invariants.  Appends the checks
    to result["checks"] as (name, violations)."""
    checks = result["checks"]
    ctx.accounts = [account(ctx.st.http, "%s%d" % (sc.name, i))
                    for i in range(3)]
    # The fault's own requests (slow bodies, replays) come from a user the
    # load threads do not use, so rows can be told apart.
    ctx.spare = account(ctx.st.http, "%s-own" % sc.name)
    uids = [a.uid for a in ctx.accounts + [ctx.spare]]
    since_file = int(psql("SELECT coalesce(max(id), 0) FROM files"))
    since_job = int(psql("SELECT coalesce(max(id), 0) FROM jobs"))
    before = set(inv.orphans(ctx.s3_data, ctx.bucket))
    ctx.load = Load(ctx.st.http, ctx.accounts, ctx.month).start()
    t_start = time.monotonic()
    try:
        time.sleep(WARM)
        t0 = time.monotonic()
        inv.ORIGIN[0] = t0
        sc.inject(ctx)
        t1 = time.monotonic()
        result["fault_seconds"] = round(t1 - t0, 1)
        rec = recovered(ctx, t1)
        result["recovery_seconds"] = None if rec is None else round(rec, 1)
        time.sleep(1.0)
    finally:
        ctx.ctl.thaw_all()
        ctx.load.stop()
        result["active_seconds"] = round(time.monotonic() - t_start, 1)
    checks.append(("every worker UP in HAProxy and every route answering "
                   "within %.0f s of the fault's end" % RECOVERY_BOUND,
                   [] if rec is not None else
                   ["not recovered %.0f s after the fault: %s" % (
                       RECOVERY_BOUND, not_back(ctx, t1))]))
    attempts = ctx.load.attempts
    checks.append(("clients saw only documented statuses (2xx, 401/404/409/"
                   "422/429, 503 with Retry-After)",
                   inv.statuses(attempts, sc.excused)))
    checks.append(("every request answered within %.0f s" % ANSWER_BOUND,
                   inv.slow_answers(attempts, ANSWER_BOUND, sc.excused)))
    checks.append(("routes needing none of %s answered throughout"
                   % (sorted(sc.failed) or "the failed parts"),
                   inv.availability(attempts, sc.failed, (t0, t1 + 1.0),
                                    sc.excused)))
    settle_keys(ctx)
    keys = ctx.load.keys
    checks.append(("a key answered twice names one row",
                   inv.one_answer_per_key(keys)))
    for kind in ("upload", "report"):
        checks.append(("every accepted %s exists exactly once" % kind,
                       inv.rows_match_keys(keys, kind, uids,
                                           since_file if kind == "upload"
                                           else since_job)))
    reports = {int(i) for i in psql(
        "SELECT id FROM jobs WHERE type = 'report' AND user_id IN (%s) AND "
        "id > %d" % (",".join(map(str, uids)), since_job)).split()}
    files = [int(i) for i in psql(
        "SELECT id FROM files WHERE owner_id IN (%s) AND id > %d AND "
        "content_type = 'image/png'" % (",".join(map(str, uids)),
                                        since_file)).split()]
    thumbs = inv.thumbnail_jobs(files)
    jobs = set(reports) | {j for js in thumbs.values() for j in js}
    states = inv.wait_jobs_done(jobs, JOB_BOUND)
    checks.append(("every accepted job done within %.0f s" % JOB_BOUND,
                   inv.listed("job %d is %s" % (j, s)
                              for j, s in sorted(states.items())
                              if s != "done")))
    checks.append(("one thumbnail job per image upload",
                   inv.listed("file %d has %d thumbnail jobs" % (f, len(js))
                              for f, js in sorted(thumbs.items())
                              if len(js) != 1)))
    objects = inv.s3_objects(ctx.s3_data, ctx.bucket)
    checks.append(("each report: its PDF, one notification, one mail",
                   inv.report_effects({j for j in reports
                                       if states.get(j) == "done"}, uids,
                                      ctx.maildir, objects)))
    checks.append(("no new object without a row, nor row without an object",
                   inv.listed(x for x in inv.orphans(ctx.s3_data, ctx.bucket)
                              if x not in before)))
    checks.extend(sc.check(ctx))
    if hasattr(sc, "restore"):
        sc.restore(ctx)
    result["load_seconds"] = round(time.monotonic() - t_start, 1)
    result["requests"] = len(attempts)
    result["counts"] = ctx.load.counts()
    result["lost"] = sum(count(v) for n, v in checks
                         if "exactly once" in n or "object" in n or
                         "one notification" in n)


def count(violations):
    """How many violations a listed() list stands for."""
    n = 0
    for v in violations:
        m = re.match(r"\.\.\. and (\d+) more$", v)
        n += int(m.group(1)) if m else 1
    return n


def main():
    args = sys.argv[1:]
    only, doc = None, None
    scenarios = all_scenarios()
    for a in args:
        if a.startswith("--only="):
            only = set(a[7:].replace(",", " ").split())
        elif a.startswith("--write-doc"):
            doc = a.partition("=")[2] or os.path.join(srcdir(), "doc",
                                                      "RELIABILITY.md")
        elif a == "--list":
            for sc in scenarios:
                print("%-18s %s" % (sc.name, sc.fault))
            return
        else:
            sys.exit("usage: run.py [--only=NAME,...] [--write-doc[=PATH]] "
                     "[--list]")
    if only:
        unknown = only - {sc.name for sc in scenarios}
        if unknown:
            sys.exit("unknown faults: %s" % " ".join(sorted(unknown)))
        scenarios = [sc for sc in scenarios if sc.name in only]

    ctx = Ctx()
    ctx.st = stack()
    env = os.environ
    ctx.ctl = Control(srcdir(), env["PFO3_RUN_DIR"])
    ctx.month = time.strftime("%Y-%m", time.gmtime())
    ctx.maildir = env["PFO3_SMTP_MAILDIR"]
    ctx.s3_data = os.path.join(env["PFO3_RUN_DIR"], "s3", "data")
    ctx.bucket = env["PFO3_S3_BUCKET"]
    # Unfinished uploads the tests before the suite left (t-s3client's, a
    # stranger's to our reconciler) are not the suite's to judge.
    mpu_before = {p for p, _ in inv.s3_multipart(ctx.s3_data, ctx.bucket)}
    suite_t0 = time.monotonic()
    results = []
    for sc in scenarios:
        result = {"name": sc.name, "fault": sc.fault,
                  "failed": sorted(sc.failed), "checks": []}
        results.append(result)
        left = BUDGET - (time.monotonic() - suite_t0)
        diag("fault %s: %s (budget left %.0f s)" % (sc.name, sc.fault, left))
        if left < sc.bound:
            result["checks"].append((
                "ran", ["not run: %.0f s of the suite's %.0f s budget left, "
                        "the fault needs %.0f s" % (left, BUDGET, sc.bound)]))
        else:
            t = time.monotonic()
            try:
                run_one(sc, ctx, result)
            except Exception as e:  # one broken fault must not hide others
                import traceback
                result["checks"].append(("ran to its end", [
                    "%s: %s" % (e.__class__.__name__, e)] +
                    traceback.format_exc().splitlines()[-6:]))
                ctx.ctl.thaw_all()
                if hasattr(sc, "restore"):
                    try:
                        sc.restore(ctx)
                    except Exception as e2:
                        diag("restore after %s failed: %s" % (sc.name, e2))
            result["seconds"] = round(time.monotonic() - t, 1)
            took = result.get("active_seconds", 0)
            result["checks"].append((
                "fault and recovery took at most %.0f s" % sc.bound,
                [] if took <= sc.bound else ["took %.0f s" % took]))
        for name, bad in result["checks"]:
            ok(not bad, "%s: %s" % (sc.name, name),
               lambda bad=bad: "\n".join(bad))
    # An upload younger than the bound has until the bound to go.
    young = [age for p, age in inv.s3_multipart(ctx.s3_data, ctx.bucket)
             if age <= STALE_BOUND and p not in mpu_before]
    young += [age for age in inv.reserved_keys().values()
              if age <= STALE_BOUND]
    if young:
        time.sleep(STALE_BOUND - min(young) + 1)
    stale = inv.stale_multipart(ctx.s3_data, ctx.bucket, STALE_BOUND,
                                mpu_before)
    ok(not stale, "no unfinished multipart upload older than %d s after "
       "the suite" % STALE_BOUND, "\n".join(stale))
    late = inv.reserved_orphans(ctx.s3_data, ctx.bucket, STALE_BOUND)
    ok(not late, "no object without a row left %d s after its reservation"
       % STALE_BOUND, "\n".join(late))
    # What tests before the suite left is theirs: t-files' upload whose
    # row failed (PostgreSQL cut) keeps its UploadId recorded, and s3rver,
    # which refuses to abort, cannot free an upload it has completed.
    rep, why = inv.storage_check(os.path.join(env["PFO3_BUILDDIR"],
                                              "pfo3ctl"), dict(env),
                                 time.monotonic() - suite_t0)
    ok(rep is not None and not rep, "pfo3ctl storage check --json finds "
       "no orphan and no stale upload", why or "\n".join(rep or []))
    summary = {"seconds": round(time.monotonic() - suite_t0, 1),
               "budget": BUDGET, "results": results,
               "stale_multipart": stale, "storage_check": rep,
               "storage_check_error": why}
    with open(os.path.join(env["PFO3_RUN_DIR"], "fault-results.json"),
              "w") as f:
        json.dump(summary, f, indent=1)
    if doc:
        write_doc(doc, summary)
        diag("wrote %s" % doc)
    diag("fault suite: %.0f s of %.0f s budget" % (summary["seconds"],
                                                     BUDGET))
    done()


if __name__ == "__main__":
    main()
