#!/usr/bin/python3
"""
t-idempotency: the Idempotency-Key header on the POSTs that create work,
through HAProxy, against the stack's PostgreSQL, S3 and SMTP sink.

A report asked twice with one key makes one job, one PDF, one
notification and one mail; the second answer is the first one again (same
status, body and Location) with Idempotent-Replayed: true.  The same key
with another body or target is 422; a key whose request ended in a 4xx is
free again.  Several concurrent requests with one new key make one job:
one runs, the others get 409 (Retry-After) or the replay.  The same for
async tasks, uploads and the photo.  A request whose worker died after it
made its job (the key's row left 'running', its lock gone) runs again and
finds that job instead of making a second; an upload whose worker died
after recording its file answers that file, and stores no second one.  Malformed keys are 400;
requests without a key behave as before; expired keys are purged by the
sweepers.
"""
import os
import secrets
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer, new_user
from httpc import http
from mailsink import mails_with
from psql import psql
from stackenv import stack
from tap import cmp_ok, is_, ok, run
from wait import poll

DONE_TIMEOUT = 30.0     # seconds for a job to be done
MAIL_TIMEOUT = 15.0     # seconds for its mail to reach the sink
PURGE_TIMEOUT = 20.0    # a sweep interval (5 s) and then some
REPLAYED = "Idempotent-Replayed"


def key():
    return "k-" + secrets.token_hex(12)


def post_report(addr, token, month, k, path="/api/v1/reports"):
    headers = bearer(token)
    if k is not None:
        headers = headers + [("Idempotency-Key", k)]
    return http(addr, "POST", path, {"month": month}, headers)


def job_done(addr, token, jid):
    def finished():
        r = http(addr, "GET", "/api/v1/jobs/%d" % jid,
                 headers=bearer(token))
        if r.status == 200 and r.json().get("status") in ("done", "failed"):
            return r.json()
        return None
    return poll(finished, DONE_TIMEOUT, 0.2) or {}


def count(sql):
    return int(psql(sql) or 0)


def reports(st, month):
    addr = st.http
    uid, _, token = new_user(addr, "idem-report")
    k = key()
    r1 = post_report(addr, token, month, k)
    is_(r1.status, 202, "a report with an Idempotency-Key: 202")
    ok(r1.header(REPLAYED) is None, "the first answer is not a replay")
    jid = (r1.json() or {}).get("job_id", 0)
    job = job_done(addr, token, jid)
    is_(job.get("status"), "done", "its job is done")

    r2 = post_report(addr, token, month, k)
    is_(r2.status, 202, "the same request with the same key: 202 again")
    is_(r2.header(REPLAYED), "true", "marked Idempotent-Replayed: true")
    is_(r2.body, r1.body, "with the same body")
    is_(r2.header("Location"), r1.header("Location"),
        "and the same Location")
    is_(count("SELECT count(*) FROM jobs WHERE user_id = %d AND type = "
              "'report'" % uid), 1, "one job was made")
    is_(count("SELECT count(*) FROM notifications WHERE user_id = %d AND "
              "kind = 'report_ready'" % uid), 1, "one notification")
    link = "/api/v1/reports/%d/pdf" % jid
    ok(poll(lambda: mails_with(link) >= 1, MAIL_TIMEOUT, 0.2),
       "its mail reached the sink")
    is_(mails_with(link), 1, "one mail")
    r = http(addr, "GET", link, headers=bearer(token))
    ok(r.status == 200 and r.body.startswith(b"%PDF-"), "one PDF, served")

    # Another request under the key.
    prev = "%04d-%02d" % ((int(month[:4]) - 1), int(month[5:]))
    r = post_report(addr, token, prev, k)
    is_(r.status, 422, "the key with another body: 422")
    ok("Idempotency-Key" in r.text, "saying the key was used", r.text)
    r = post_report(addr, token, month, k, "/api/v1/reports?again=1")
    is_(r.status, 422, "the key with another target: 422")
    _, _, other = new_user(addr, "idem-other")
    r = post_report(addr, other, prev, k)
    is_(r.status, 202, "another user's key of the same text is theirs")
    ok(r.header(REPLAYED) is None, "not a replay of the first user's")

    # A 4xx makes nothing: the key is free for the corrected request.
    k2 = key()
    r = post_report(addr, token, "2026-13", k2)
    is_(r.status, 422, "a bad month with a new key: 422")
    r = post_report(addr, token, prev, k2)
    is_(r.status, 202, "the key then serves the corrected request (202)")
    ok(r.header(REPLAYED) is None, "which runs")

    # Without a key, as before: every POST makes a job.
    a = post_report(addr, token, month, None)
    b = post_report(addr, token, month, None)
    ok(a.status == 202 and b.status == 202 and
       a.json()["job_id"] != b.json()["job_id"],
       "without a key, two POSTs make two jobs")
    return uid, token


def concurrent(st, month):
    addr = st.http
    uid, _, token = new_user(addr, "idem-race")
    k = key()
    results = []
    gate = threading.Barrier(6)

    def one():
        gate.wait()
        results.append(post_report(addr, token, month, k))
    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = sorted(r.status for r in results)
    fresh = [r for r in results if r.status == 202 and
             r.header(REPLAYED) is None]
    replays = [r for r in results if r.status == 202 and
               r.header(REPLAYED) == "true"]
    busy = [r for r in results if r.status == 409]
    is_(len(fresh), 1, "6 concurrent requests with one key: one runs "
        "(statuses %r)" % statuses)
    is_(len(fresh) + len(replays) + len(busy), 6,
        "the others get the replay or 409")
    ok(all(r.header("Retry-After") for r in busy),
       "a 409 says Retry-After")
    ok(all(r.body == fresh[0].body for r in replays) if fresh else False,
       "every replay is the first answer")
    is_(count("SELECT count(*) FROM jobs WHERE user_id = %d" % uid), 1,
        "one job was made")


def tasks(st):
    addr = st.http
    _, _, token = new_user(addr, "idem-task")
    k = key()
    body = {"operacion": "suma", "datos": {"a": 40, "b": 2}, "async": True}
    hdr = bearer(token) + [("Idempotency-Key", k)]
    r1 = http(addr, "POST", "/api/v1/tasks", body, hdr)
    r2 = http(addr, "POST", "/api/v1/tasks", body, hdr)
    is_((r1.status, r2.status), (202, 202), "an async task twice with one "
        "key: 202, 202")
    ok(r2.body == r1.body and r2.header(REPLAYED) == "true",
       "the second answers the same job, replayed")
    is_(count("SELECT count(*) FROM jobs WHERE dedup_key LIKE '%% %s %%'"
              % k), 1, "one job carries the key")
    body["datos"]["b"] = 3
    is_(http(addr, "POST", "/api/v1/tasks", body, hdr).status, 422,
        "the key with another task: 422")


def uploads(st):
    addr = st.http
    uid, _, token = new_user(addr, "idem-upload")
    k = key()
    data = secrets.token_bytes(3000)
    hdr = bearer(token) + [("Idempotency-Key", k)]
    r1 = http(addr, "POST", "/api/v1/files?name=a.bin", data, hdr,
              content_type="application/octet-stream")
    r2 = http(addr, "POST", "/api/v1/files?name=a.bin", data, hdr,
              content_type="application/octet-stream")
    is_((r1.status, r2.status), (201, 201), "an upload twice with one key: "
        "201, 201")
    ok(r2.body == r1.body and r2.header(REPLAYED) == "true",
       "the second answers the same file, replayed")
    is_(count("SELECT count(*) FROM files WHERE owner_id = %d" % uid), 1,
        "one file was stored")
    r = http(addr, "POST", "/api/v1/files?name=a.bin", data + b"x", hdr,
             content_type="application/octet-stream")
    is_(r.status, 422, "the key with another length: 422")

    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a8"
        "11d20000000049454e44ae426082")
    hdr = bearer(token) + [("Idempotency-Key", key())]
    p1 = http(addr, "PUT", "/api/v1/me/photo", png, hdr,
              content_type="image/png")
    p2 = http(addr, "PUT", "/api/v1/me/photo", png, hdr,
              content_type="image/png")
    is_((p1.status, p2.status), (200, 200), "the photo twice with one key")
    ok(p2.body == p1.body and p2.header(REPLAYED) == "true",
       "the second is the replay of the first")
    is_(count("SELECT count(*) FROM files WHERE owner_id = %d" % uid), 2,
        "one more file, not two")


def takeover(st, month, token):
    """The key's request died after making its job: run again, same job."""
    addr = st.http
    k = key()
    r1 = post_report(addr, token, month, k)
    jid = (r1.json() or {}).get("job_id")
    is_(r1.status, 202, "a report with a key: 202")
    psql("UPDATE idempotency_keys SET state = 'running', status = NULL, "
         "headers = NULL, body = NULL WHERE key = '%s'" % k)
    r2 = post_report(addr, token, month, k)
    is_(r2.status, 202, "its key left running without a lock (a dead "
        "worker): the request runs again, 202")
    ok(r2.header(REPLAYED) is None, "not as a replay")
    is_((r2.json() or {}).get("job_id"), jid, "and finds the job it made")
    is_(count("SELECT count(*) FROM jobs WHERE dedup_key LIKE '%% %s %%'"
              % k), 1, "still one job for the key")


def upload_takeover(st):
    """The key's upload died after recording its file: the next try
    answers that file instead of storing a second."""
    addr = st.http
    uid, _, token = new_user(addr, "idem-upload-takeover")
    k = key()
    data = secrets.token_bytes(5000)
    hdr = bearer(token) + [("Idempotency-Key", k)]
    r1 = http(addr, "POST", "/api/v1/files?name=t.bin", data, hdr,
              content_type="application/octet-stream")
    fid = (r1.json() or {}).get("id")
    is_(r1.status, 201, "an upload with a key: 201")
    psql("UPDATE idempotency_keys SET state = 'running', status = NULL, "
         "headers = NULL, body = NULL WHERE key = '%s'" % k)
    r2 = http(addr, "POST", "/api/v1/files?name=t.bin", data, hdr,
              content_type="application/octet-stream")
    is_(r2.status, 201, "its key left running without a lock (a dead "
        "worker): the upload runs again, 201")
    ok(r2.header(REPLAYED) is None, "not as a replay")
    is_(((r2.json() or {}).get("id"), r2.header("Location")),
        (fid, "/api/v1/files/%s" % fid),
        "and answers the file the first try stored")
    is_(count("SELECT count(*) FROM files WHERE owner_id = %d" % uid), 1,
        "still one file for the key")
    r3 = http(addr, "POST", "/api/v1/files?name=t.bin", data, hdr,
              content_type="application/octet-stream")
    ok(r3.status == 201 and r3.header(REPLAYED) == "true" and
       (r3.json() or {}).get("id") == fid,
       "a third try is the replay of that answer")


def malformed(st, token, month):
    addr = st.http
    for bad, why in (("x" * 256, "256 characters"), ("a b", "a space"),
                     ("caf\u00e9", "a non-ASCII byte")):
        r = http(st.http, "POST", "/api/v1/reports", {"month": month},
                 bearer(token) + [("Idempotency-Key",
                                   bad.encode().decode("latin-1"))])
        is_(r.status, 400, "a key with %s: 400" % why)
    r = http(addr, "POST", "/api/v1/reports", {"month": month},
             bearer(token) + [("Idempotency-Key", "x" * 255)])
    is_(r.status, 202, "a key of 255 characters is accepted")


def expiry(st, token, month):
    addr = st.http
    k = key()
    r1 = post_report(addr, token, month, k)
    psql("UPDATE idempotency_keys SET expires_at = now() - interval '1 s' "
         "WHERE key = '%s'" % k)
    ok(poll(lambda: count("SELECT count(*) FROM idempotency_keys WHERE "
                          "key = '%s'" % k) == 0, PURGE_TIMEOUT, 0.5),
       "an expired key is deleted by a sweeper")
    r2 = post_report(addr, token, month, k)
    ok(r1.status == 202 and r2.status == 202 and
       r2.json()["job_id"] != r1.json()["job_id"],
       "once expired, the key makes a new job")


def main():
    st = stack()
    month = psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')")
    _, token = reports(st, month)
    concurrent(st, month)
    tasks(st)
    uploads(st)
    takeover(st, month, token)
    upload_takeover(st)
    malformed(st, token, month)
    expiry(st, token, month)
    cmp_ok(count("SELECT count(*) FROM idempotency_keys WHERE state = "
                 "'running'"), "==", 0, "no key is left running")


if __name__ == "__main__":
    run(main)
