"""
invariants.py -- what must hold after a fault, each check returning a list
of violations (strings that say exactly what broke), empty when it holds.

- statuses: every attempt got a documented status (or 503 + Retry-After);
- availability: routes that need no failed dependency answered throughout;
- exactly once: every accepted upload and report (201/202) exists once,
  its job is done once, with one PDF object, one notification, one mail;
- storage: no object without a row, no row without an object, no
  unfinished multipart upload older than the bound.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from haproxy import backend_servers  # noqa: E402
from psql import psql  # noqa: E402
from load import NEEDS  # noqa: E402

MAX_LISTED = 8          # violations shown per check; the rest are counted


def listed(items):
    items = list(items)
    if len(items) <= MAX_LISTED:
        return items
    return items[:MAX_LISTED] + ["... and %d more" % (len(items) - MAX_LISTED)]


ORIGIN = [0.0]          # the fault's start: times are told from it


def describe(a):
    return "%s %s at %+.1f s of the fault (%s%s)" % (
        a.kind, a.outcome, a.t0 - ORIGIN[0],
        "worker " + a.worker if a.worker else "from HAProxy or no answer",
        ", key " + a.key if a.key else "")


# ------------------------------------------------------------- what clients saw

def statuses(attempts, excused=lambda a: False):
    """Undocumented answers: not 2xx/401/404/409/422/429, nor 503 with
    Retry-After.  `excused(a)` forgives attempts the fault itself cut
    (a request in flight on a worker killed with -9)."""
    return listed(describe(a) for a in attempts
                  if not a.documented() and not excused(a))


def slow_answers(attempts, bound, excused=lambda a: False):
    """Requests that took longer than `bound` seconds: a route must answer
    at once (503 + Retry-After) rather than wait on a failed dependency."""
    return listed("%s took %.1f s" % (describe(a), a.t1 - a.t0)
                  for a in attempts if a.t1 is not None and
                  a.t1 - a.t0 > bound and not excused(a))


def availability(attempts, failed, window, excused=lambda a: False):
    """Attempts during `window` (t0, t1) on routes that need none of the
    `failed` dependencies which did not answer; and each such route must
    have answered at least once in the window (the load really ran)."""
    bad, answered = [], {}
    for a in attempts:
        if NEEDS[a.kind] & failed or excused(a):
            continue
        if not (window[0] <= a.t0 <= window[1]):
            continue
        if a.answered():
            answered[a.kind] = answered.get(a.kind, 0) + 1
        else:
            bad.append(describe(a))
    for kind in sorted(NEEDS):
        if not NEEDS[kind] & failed and kind in {a.kind for a in attempts} \
                and not answered.get(kind):
            bad.append("%s: no answer at all during the fault" % kind)
    return listed(bad)


# ---------------------------------------------------------------- exactly once

def key_outcomes(keys):
    """{key: (accepted ids, attempts)} for the load's keyed POSTs."""
    out = {}
    for key, attempts in keys.items():
        ids = {a.ident for a in attempts if a.status in (201, 202)}
        out[key] = (ids, attempts)
    return out


def one_answer_per_key(keys):
    """A key answered 201/202 twice must name the same row both times."""
    bad = []
    for key, (ids, attempts) in key_outcomes(keys).items():
        if len(ids) > 1:
            bad.append("key %s created %s: %s" % (
                key, sorted(ids), ", ".join(a.outcome for a in attempts)))
    return listed(bad)


def rows_match_keys(keys, kind, uids, since_id):
    """The rows of `kind` (upload -> files, report -> jobs) created for the
    scenario's users equal the ids accepted under distinct keys: no row a
    client does not know of (a replayed POST ran twice), none missing."""
    accepted = set()
    for ids, attempts in key_outcomes(keys).values():
        if attempts[0].kind == kind:
            accepted |= ids
    if kind == "upload":
        sql = "SELECT id FROM files WHERE owner_id IN (%s) AND id > %d"
    else:
        sql = ("SELECT id FROM jobs WHERE type = 'report' AND "
               "user_id IN (%s) AND id > %d")
    rows = {int(x) for x in psql(sql % (",".join(map(str, uids)),
                                        since_id)).split()}
    bad = ["%s %d exists but no client was answered with it (ran twice?)"
           % (kind, i) for i in sorted(rows - accepted)]
    bad += ["%s %d was answered 201/202 but has no row" % (kind, i)
            for i in sorted(accepted - rows)]
    return listed(bad)


def jobs_state(job_ids):
    """{job id: status} of the given jobs."""
    if not job_ids:
        return {}
    out = psql("SELECT id, status FROM jobs WHERE id IN (%s)"
               % ",".join(map(str, job_ids)))
    return {int(i): s for i, s in (line.split("|") for line in
                                    out.splitlines() if line)}


def wait_jobs_done(job_ids, bound):
    """Polls until every job is done or failed, or `bound` seconds pass;
    returns the last {id: status}."""
    deadline = time.monotonic() + bound
    while True:
        st = jobs_state(job_ids)
        if all(s in ("done", "failed") for s in st.values()) or \
                time.monotonic() >= deadline:
            return st
        time.sleep(0.5)


def thumbnail_jobs(file_ids):
    """{file id: [job id, ...]} of the thumbnail jobs of the files."""
    if not file_ids:
        return {}
    out = psql("SELECT (payload->>'file_id')::bigint, id FROM jobs WHERE "
               "type = 'thumbnail' AND (payload->>'file_id')::bigint IN (%s)"
               % ",".join(map(str, file_ids)))
    res = {f: [] for f in file_ids}
    for line in out.splitlines():
        f, j = line.split("|")
        res.setdefault(int(f), []).append(int(j))
    return res


def mail_counts(maildir):
    """{report job id: number of mails linking to its PDF}."""
    counts = {}
    d = os.path.join(maildir, "new")
    for name in os.listdir(d):
        try:
            with open(os.path.join(d, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        for jid in set(re.findall(r"/api/v1/reports/(\d+)/pdf", text)):
            counts[int(jid)] = counts.get(int(jid), 0) + 1
    return counts


def report_effects(job_ids, uids, maildir, objects):
    """Each done report job: its PDF object, one notification, one mail."""
    bad = []
    if not job_ids:
        return bad
    notes = {}
    out = psql("SELECT body->>'job_id' FROM notifications WHERE kind = "
               "'report_ready' AND user_id IN (%s)" % ",".join(map(str, uids)))
    for jid in out.split():
        notes[int(jid)] = notes.get(int(jid), 0) + 1
    keys = dict(line.split("|") for line in psql(
        "SELECT id, result->>'s3_key' FROM jobs WHERE id IN (%s)"
        % ",".join(map(str, job_ids))).splitlines() if line)
    mails = mail_counts(maildir)
    for jid in sorted(job_ids):
        if notes.get(jid, 0) != 1:
            bad.append("report job %d: %d notifications, not 1"
                       % (jid, notes.get(jid, 0)))
        if mails.get(jid, 0) != 1:
            bad.append("report job %d: %d mails, not 1"
                       % (jid, mails.get(jid, 0)))
        key = keys.get(str(jid)) or ""
        if key not in objects:
            bad.append("report job %d: its PDF %r is not in S3" % (jid, key))
    return listed(bad)


# ---------------------------------------------------------------- storage

S3_SUFFIX = "._S3rver_object"


def s3_objects(datadir, bucket):
    """The object keys the S3 server holds (s3rver keeps each object as
    KEY._S3rver_object under DATA/BUCKET)."""
    root = os.path.join(datadir, bucket)
    keys = set()
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if "_S3rver_uploads" not in x]
        for f in files:
            if f.endswith(S3_SUFFIX):
                keys.add(os.path.relpath(os.path.join(d, f), root)
                         [:-len(S3_SUFFIX)])
    return keys


def s3_multipart(datadir, bucket):
    """[(upload path, age in seconds)] of unfinished multipart uploads
    (s3rver keeps their parts under DATA/BUCKET/._S3rver_uploads)."""
    out = []
    now = time.time()
    for d, dirs, files in os.walk(os.path.join(datadir, bucket)):
        if os.path.basename(d).endswith("_S3rver_uploads"):
            for x in dirs + files:
                p = os.path.join(d, x)
                try:
                    out.append((p, now - os.path.getmtime(p)))
                except OSError:
                    pass
            dirs[:] = []
    return out


def db_keys():
    """Every S3 key a row names: files, thumbnails, report results."""
    out = psql("SELECT s3_key FROM files UNION ALL SELECT s3_key FROM "
               "thumbnails UNION ALL SELECT result->>'s3_key' FROM jobs "
               "WHERE type = 'report' AND result->>'s3_key' IS NOT NULL")
    return set(out.split())


def reserved_keys():
    """{key: age in seconds} of the keys reserved in PostgreSQL whose row
    has not committed (the storage reconciler's to free)."""
    out = {}
    for line in psql("SELECT key || ' ' || extract(epoch FROM now() - "
                     "reserved_at)::int FROM s3_objects WHERE state = "
                     "'reserved'").split("\n"):
        if line.strip():
            k, age = line.rsplit(" ", 1)
            out[k] = int(age)
    return out


def orphans(datadir, bucket):
    """Objects without a row and rows without an object, as strings.  An
    object whose key is still reserved (a PUT that landed after our side
    gave up on it) is the reconciler's: reserved_orphans() checks that it
    goes in time."""
    objects = s3_objects(datadir, bucket)
    rows = db_keys()
    reserved = reserved_keys()
    bad = ["object %s has no row" % k
           for k in sorted(objects - rows - set(reserved))]
    bad += ["row names %s, which is not in S3" % k
            for k in sorted(rows - objects)]
    return bad


def reserved_orphans(datadir, bucket, bound):
    """Objects without a row whose reservation is older than `bound`: the
    reconciler should have removed them."""
    objects = s3_objects(datadir, bucket) - db_keys()
    return listed("object %s has no row and was reserved %d s ago "
                  "(bound %d s)" % (k, age, bound)
                  for k, age in sorted(reserved_keys().items())
                  if k in objects and age > bound)


def stale_multipart(datadir, bucket, bound, before=()):
    """Unfinished uploads older than `bound`, but those in `before` (left
    by earlier tests, not by the suite)."""
    return listed("unfinished multipart upload %s, %.0f s old (bound %d s)"
                  % (p, age, bound) for p, age in
                  s3_multipart(datadir, bucket)
                  if age > bound and p not in before)


def storage_check(pfo3ctl, env, max_age=None):
    """`pfo3ctl storage check --json` (the storage contract): None and the
    reason when the command does not exist, else the list of what it
    reports."""
    try:
        p = subprocess.run([pfo3ctl, "storage", "check", "--json"],
                           env=env, capture_output=True, text=True,
                           timeout=60)
    except OSError as e:
        return None, str(e)
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        return None, "pfo3ctl storage check --json: exit %d, %s" % (
            p.returncode, (p.stderr or p.stdout).strip()[:200])
    bad = []
    for k in ("objects_without_row", "rows_without_object",
              "stale_multipart"):
        for x in rep.get(k, []):
            # Entries older than the suite are earlier tests' (max_age).
            age = x.get("age_s") if isinstance(x, dict) else None
            if max_age is not None and age is not None and age > max_age:
                continue
            bad.append("%s: %s" % (k, x))
    return listed(bad), None


# ---------------------------------------------------------------- rotation

def all_up(st, backends=("workers", "seed")):
    """True when every worker is UP after a passing check in each backend."""
    try:
        for b in backends:
            rows = backend_servers(st, b)
            for w in st.ids:
                r = rows.get(w)
                if r is None or r["status"] != "UP":
                    return False
    except (OSError, RuntimeError):
        return False
    return True


def wait_all_up(st, bound):
    """Seconds until every worker is back in rotation, or None after
    `bound`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound:
        if all_up(st):
            return time.monotonic() - t0
        time.sleep(0.2)
    return None
