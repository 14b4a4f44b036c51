"""
s3direct.py — the stack's S3 server reached straight, with curl's own
SigV4 signing: a client independent of the worker's, to check what the
workers stored or to set up a case.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def s3_request(method, key, data=None, path=None, content_type=None,
               timeout=60.0):
    """One request to the stack's S3 server ($PFO3_S3_*) for object `key`,
    made by curl, which signs it with SigV4 itself: a client independent
    of the worker's.  A body comes from `data` (bytes) or the file `path`,
    and is sent with its SHA-256, which the server checks.  Returns
    (status, body bytes)."""
    env = os.environ
    url = "%s/%s/%s" % (env["PFO3_S3_ENDPOINT"].rstrip("/"),
                        env["PFO3_S3_BUCKET"], key)
    d = tempfile.mkdtemp(prefix="pfo3s3-", dir="/tmp")
    out = os.path.join(d, "body")
    cmd = ["curl", "-sS", "-K", "-", "-X", method, "-o", out,
           "-w", "%{http_code}", "--max-time", str(timeout),
           "--aws-sigv4", "aws:amz:%s:s3" % env["PFO3_S3_REGION"]]
    if data is not None:
        path = os.path.join(d, "upload")
        with open(path, "wb") as f:
            f.write(data)
    if path is not None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        # curl 7.88 signs every header it sends, so Expect is sent on
        # purpose (an empty "Expect:" would be signed but not sent).
        cmd += ["-T", path, "-H", "x-amz-content-sha256: " + h.hexdigest(),
                "-H", "Expect: 100-continue"]
        if content_type:
            cmd += ["-H", "Content-Type: " + content_type]
    else:
        cmd += ["-H", "x-amz-content-sha256: " + EMPTY_SHA256]
    cmd.append(url)
    # The keys go through stdin, not the command line others can read.
    conf = 'user = "%s:%s"\n' % (env["PFO3_S3_ACCESS_KEY"],
                                 env["PFO3_S3_SECRET_KEY"])
    try:
        p = subprocess.run(cmd, input=conf.encode(), capture_output=True,
                           timeout=timeout + 10)
        if p.returncode != 0 and not p.stdout:
            raise RuntimeError("curl %s %s: %s" % (
                method, key, p.stderr.decode("utf-8", "replace").strip()))
        try:
            with open(out, "rb") as f:
                body = f.read()
        except OSError:
            body = b""
        return int(p.stdout.decode() or 0), body
    finally:
        shutil.rmtree(d, ignore_errors=True)


def s3_get(key):
    """(status, bytes) of object `key` (see s3_request)."""
    return s3_request("GET", key)


def s3_put(key, data=None, path=None, content_type=None):
    """Stores `data` (bytes) or the file `path` as object `key`; the
    status (200 when stored)."""
    return s3_request("PUT", key, data=data, path=path,
                      content_type=content_type)[0]


def s3_delete(key):
    """Deletes object `key`; the status (204 when deleted or missing)."""
    return s3_request("DELETE", key)[0]
