#!/usr/bin/python3
"""
t-reports: the monthly PDF report, asynchronous, through HAProxy.

A fresh user asks for the report of the current month: 202 with a job id
and its Location; the job is done within seconds, by a named worker.  The
PDF is served to its owner (it starts with %PDF- and its text names the
user's email and the month), and to nobody else (404).  The mail sink
holds a message with the link to the PDF, and GET /api/v1/notifications
lists a "report_ready" for the job.  A bad or future month is 422, no
token is 401.  Reports of several users are spread over more than one
worker.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer, new_user
from httpc import http
from stackenv import stack
from tap import cmp_ok, diag, is_, like, ok, run
from wait import poll

DONE_TIMEOUT = 30.0     # seconds for a report to be done
MAIL_TIMEOUT = 10.0     # seconds for its mail to reach the sink


def submit(addr, token, month):
    return http(addr, "POST", "/api/v1/reports", {"month": month},
                bearer(token))


def wait_done(addr, token, job_id):
    """The job once it is done or failed (or its last state)."""
    def finished():
        r = http(addr, "GET", "/api/v1/jobs/%d" % job_id,
                 headers=bearer(token))
        if r.status == 200 and r.json().get("status") in ("done", "failed"):
            return r.json()
        return None
    return poll(finished, DONE_TIMEOUT, 0.2) or {}


def mail_with(maildir, needle):
    """The text of a message in maildir/new holding `needle`, or None."""
    new = os.path.join(maildir, "new")
    try:
        names = os.listdir(new)
    except OSError:
        return None
    for name in names:
        try:
            with open(os.path.join(new, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if needle in text:
            return text
    return None


def pdf_text(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        p = subprocess.run(["pdftotext", f.name, "-"], capture_output=True,
                           timeout=30)
        return p.stdout.decode("utf-8", "replace")


def main():
    st = stack()
    addr = st.http
    month = time.strftime("%Y-%m", time.gmtime())

    _, email, token = new_user(addr, "report-ann")
    ok(token != "", "a fresh user logs in")

    # Refusals first.
    r = http(addr, "POST", "/api/v1/reports", {"month": month})
    is_(r.status, 401, "no token: 401")
    for bad in ("2026-13", "26-01", "", "9999-12", 202611):
        r = submit(addr, token, bad)
        is_(r.status, 422, "month %r: 422" % (bad,))

    # The report of the current month.
    r = submit(addr, token, month)
    is_(r.status, 202, "POST /api/v1/reports: 202")
    body = r.json() if r.status == 202 else {}
    job_id = body.get("job_id", 0)
    is_(body.get("status"), "queued", "the job is queued")
    is_(r.header("Location"), "/api/v1/jobs/%d" % job_id,
        "Location names the job")
    job = wait_done(addr, token, job_id)
    is_(job.get("status"), "done", "the report job is done")
    like(job.get("worker") or "", r"^\S+$", "the job names its worker")
    result = job.get("result") or {}
    r = http(addr, "GET", "/api/v1/me", headers=bearer(token))
    uid = r.json().get("id") if r.status == 200 else None
    is_(result.get("s3_key"), "reports/%s/%d.pdf" % (uid, job_id),
        "the result names the S3 key by ids")
    is_(result.get("month"), month, "the result names the month")

    r = http(addr, "GET", "/api/v1/reports/%d/pdf" % job_id,
             headers=bearer(token))
    is_(r.status, 200, "GET the PDF: 200")
    is_(r.header("Content-Type"), "application/pdf", "as application/pdf")
    ok(r.body.startswith(b"%PDF-"), "the body is a PDF")
    is_(len(r.body), result.get("size"), "of the size the result says")
    text = pdf_text(r.body) if r.status == 200 else ""
    ok(email.lower() in text.lower(), "the PDF names the user's email",
       text[:500])
    ok(month in text, "the PDF names the month", text[:500])

    r = http(addr, "GET", "/api/v1/reports/%d/pdf" % job_id)
    is_(r.status, 401, "the PDF without a token: 401")
    _, _, other = new_user(addr, "report-bob")
    r = http(addr, "GET", "/api/v1/reports/%d/pdf" % job_id,
             headers=bearer(other))
    is_(r.status, 404, "another user's report: 404")
    r = http(addr, "GET", "/api/v1/reports/999999999999/pdf",
             headers=bearer(token))
    is_(r.status, 404, "a missing report: 404")

    # The mail.
    maildir = os.environ.get("PFO3_SMTP_MAILDIR", "")
    link = "/api/v1/reports/%d/pdf" % job_id
    mail = poll(lambda: mail_with(maildir, link), MAIL_TIMEOUT, 0.2)
    ok(mail is not None, "the mail with the link reached the sink")
    mail = mail or ""
    ok("Your pfo3 report for %s is ready" % month in mail,
       "its subject names the month")
    ok(email.lower() in mail.lower(), "it is addressed to the user")

    # The notification.
    r = http(addr, "GET", "/api/v1/notifications", headers=bearer(token))
    is_(r.status, 200, "GET /api/v1/notifications: 200")
    notes = r.json().get("notifications", []) if r.status == 200 else []
    mine = [n for n in notes if n.get("kind") == "report_ready" and
            (n.get("body") or {}).get("job_id") == job_id]
    is_(len(mine), 1, "one report_ready names the job")
    if mine:
        n = mine[0]
        is_(sorted(n.keys()), ["body", "created_at", "id", "kind",
                               "read_at"], "with its fields")
        is_(n["body"].get("url"), link, "its body links the PDF")
        is_(n["body"].get("month"), month, "and names the month")
        r = http(addr, "GET", "/api/v1/notifications?after=%d" % n["id"],
                 headers=bearer(token))
        is_(r.json().get("notifications") if r.status == 200 else None, [],
            "?after=<its id>: nothing newer")
    r = http(addr, "GET", "/api/v1/notifications?limit=0",
             headers=bearer(token))
    is_(r.status, 400, "?limit=0: 400")
    r = http(addr, "GET", "/api/v1/notifications")
    is_(r.status, 401, "notifications without a token: 401")

    # The figures are the user's month: one login, two uploads of known
    # sizes today, no tasks; the second report counts both reports.
    _, _, cal = new_user(addr, "report-cal")
    for size in (1000, 2500):
        r = http(addr, "POST", "/api/v1/files?name=f%d.bin" % size,
                 b"x" * size, bearer(cal),
                 content_type="application/octet-stream")
        is_(r.status, 201, "an upload of %d bytes: 201" % size)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for n in (1, 2):
        r = submit(addr, cal, month)
        jid = r.json().get("job_id", 0) if r.status == 202 else 0
        is_(wait_done(addr, cal, jid).get("status"), "done",
            "report %d of the month is done" % n)
    r = http(addr, "GET", "/api/v1/reports/%d/pdf" % jid, headers=bearer(cal))
    text = pdf_text(r.body) if r.status == 200 else ""
    lines = [x for x in text.splitlines() if x.strip()]
    figures = []
    if "Reports" in lines:
        at = lines.index("Reports") + 1
        figures = lines[at:at + 5]
    is_(figures, ["1", "2", "3.4 KiB", "0", "2"],
        "its logins, uploads, uploaded data, tasks and reports")
    like(text, r"Active days: 1 of \d+", "one active day")
    like(text, r"Busiest day: %s, 2 uploads and tasks" % today,
         "today, with both uploads")

    # Several users' reports run on more than one worker.
    jobs = []
    for i in range(6):
        _, _, t = new_user(addr, "report-u%d" % i)
        r = submit(addr, t, month)
        if r.status == 202:
            jobs.append((t, r.json()["job_id"]))
    is_(len(jobs), 6, "6 users' reports accepted")
    workers = set()
    done = 0
    for t, jid in jobs:
        j = wait_done(addr, t, jid)
        if j.get("status") == "done":
            done += 1
            workers.add(j.get("worker"))
    is_(done, 6, "all 6 reports are done")
    diag("workers: %s" % sorted(w for w in workers if w))
    cmp_ok(len(workers), ">=", 2, "they ran on more than one worker")


run(main)
