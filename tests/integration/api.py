"""
api.py — the calls of the pfo3 HTTP API that many tests make: a seed
task, a fresh registered and logged-in user, its bearer token.
"""

import secrets

from httpc import http


def task(addr, operacion, datos, timeout=30.0):
    """POST /api/v1/tasks on a fresh connection."""
    return http(addr, "POST", "/api/v1/tasks",
                {"operacion": operacion, "datos": datos}, timeout=timeout)


TEST_PASSWORD = "correct horse battery"


def bearer(token):
    """The Authorization header of a token, as http() takes headers."""
    return [("Authorization", "Bearer " + token)]


def new_user(addr, tag):
    """Registers and logs in a fresh user whose email holds `tag`;
    (user id, email, token).  Raises RuntimeError when either fails."""
    email = "%s.%s@example.org" % (tag, secrets.token_hex(6))
    r = http(addr, "POST", "/api/v1/users",
             {"email": email, "password": TEST_PASSWORD, "name": tag})
    if r.status != 201:
        raise RuntimeError("register %s: %d %r" % (email, r.status, r.body))
    r = http(addr, "POST", "/api/v1/login",
             {"email": email, "password": TEST_PASSWORD})
    if r.status != 200:
        raise RuntimeError("login %s: %d %r" % (email, r.status, r.body))
    body = r.json()
    return int(body["user"]["id"]), email, body["token"]
