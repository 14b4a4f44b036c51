"""
mailsink.py — the stack's SMTP sink, a Maildir the tests read.
"""

import os


def mails_with(needle):
    """How many messages of the stack's SMTP sink hold `needle`."""
    new = os.path.join(os.environ.get("PFO3_SMTP_MAILDIR", ""), "new")
    n = 0
    for name in os.listdir(new) if os.path.isdir(new) else []:
        try:
            with open(os.path.join(new, name), "rb") as f:
                n += needle.encode() in f.read()
        except OSError:
            pass
    return n
