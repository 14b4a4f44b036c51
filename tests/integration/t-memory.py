#!/usr/bin/env python3
"""
t-memory.py — a worker maps only the libraries it uses.

The thumbnail maker (libvips) and the report renderer (cairo, pango) are
modules a worker loads the first time it makes a thumbnail or a report
(daemons/workerd/module.h).  A private worker, started beside the stack's
and asked for its health and for a login (PostgreSQL), maps neither:
its /proc/PID/maps holds no libvips, cairo, pango, librsvg or poppler.
Then an image is uploaded through the stack: its thumbnail job is made,
by whichever worker takes it, which then maps libvips but none of the
libraries of libvips' own format modules (poppler, libheif, ImageMagick,
OpenSlide, JPEG XL: the worker keeps libvips from loading them).  The
private worker retires cleanly.
"""

import os
import re

from api import bearer, new_user
from httpc import http
from procmaps import libraries
from media import gradient, png
from psql import psql
from stackenv import stack
from tap import diag, is_, ok, run
from wait import poll
from workers import PrivateWorker, retire

RENDERERS = ("vips", "cairo", "pango", "rsvg", "poppler")
VIPS_MODULES = ("poppler", "heif", "MagickCore", "openslide", "jxl")
JOB_TIMEOUT = 60.0      # room for sanitizer builds


def among(libs, stems):
    """The libraries of `libs` named lib<stem>… for a stem of `stems`."""
    return sorted(n for n in libs
                  if any(re.match(r"lib%s[-.0-9]" % re.escape(s), n)
                         for s in stems))


def worker_pid(socket_path):
    """The pid of the pfo3-workerd whose command line names
    `socket_path` (its --control), or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"pfo3-workerd") and \
                socket_path.encode() in argv:
            return int(d)
    return None


def check_idle(p, token):
    r = http(p.addr, "GET", "/api/v1/me", headers=bearer(token))
    is_(r.status, 200, "the private worker answers a signed-in call")
    libs = libraries(p.pid)
    diag("an idle worker maps %d shared libraries" % len(libs))
    is_(among(libs, RENDERERS), [],
        "an idle worker maps no libvips, cairo, pango, librsvg or poppler")
    ok(any(n.startswith("libpq.") for n in libs) and
       any(n.startswith("libcurl.") for n in libs),
       "it maps the libraries it uses (libpq, libcurl)")


def thumbnail_job(st, token):
    """Uploads a PNG through the stack; (file id, the job's row) once its
    thumbnail job has finished (or the last row seen)."""
    r = http(st.http, "POST", "/api/v1/files?name=memory.png",
             png(320, 200, gradient), headers=bearer(token),
             content_type="image/png")
    is_(r.status, 201, "a PNG is uploaded through the stack")
    fid = int(r.json()["id"])
    row = {}

    def finished():
        out = psql("SELECT status, coalesce(worker, ''), "
                   "coalesce(error, '') FROM jobs WHERE type = 'thumbnail' "
                   "AND (payload->>'file_id')::bigint = %d" % fid)
        if not out:
            return False
        row["status"], row["worker"], row["error"] = out.split("|", 2)
        return row["status"] in ("done", "failed")
    poll(finished, JOB_TIMEOUT, 0.2)
    return fid, row


def check_thumbnail(st, p, fid, row):
    is_(row.get("status"), "done", "the thumbnail job is done (%s)"
        % (row.get("error") or "no error"))
    is_(psql("SELECT string_agg(size::text, ',' ORDER BY size) FROM "
             "thumbnails WHERE file_id = %d" % fid), "128,512",
        "both thumbnails are recorded")
    wid = row.get("worker", "")
    if wid == p.id:
        pid = p.pid
    else:
        pid = worker_pid(st.worker(wid).socket) if wid in st.ids else None
    ok(pid is not None, "the worker that made it (%s) is found" % wid)
    if pid is None:
        return
    libs = libraries(pid)
    diag("after a thumbnail, worker %s maps %d shared libraries"
         % (wid, len(libs)))
    ok(among(libs, ("vips",)) != [],
       "the worker that made it has loaded libvips")
    is_(among(libs, VIPS_MODULES), [],
        "but none of the libraries of libvips' format modules")


def main():
    st = stack()
    _, _, token = new_user(st.http, "memory")
    p = PrivateWorker(st, "m1")
    check_idle(p, token)
    fid, row = thumbnail_job(st, token)
    check_thumbnail(st, p, fid, row)
    retire(p)


run(main)
