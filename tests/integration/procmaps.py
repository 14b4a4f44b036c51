"""
procmaps.py — what a test reads of a process in /proc: the shared
libraries mapped into it, and the first sanitizer report of a log.
"""

import os
import re

SANITIZER_RE = re.compile(r"ERROR: (Address|Leak)Sanitizer|"
                          r"WARNING: ThreadSanitizer|runtime error:")


def libraries(pid):
    """The shared libraries mapped into process `pid` (file names)."""
    names = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and ".so" in fields[5]:
                names.add(os.path.basename(fields[5]))
    return names


def sanitizer_report(path):
    """The log at `path` from its first sanitizer report on, or None."""
    with open(path, errors="replace") as f:
        text = f.read()
    m = SANITIZER_RE.search(text)
    return text[m.start():][:3000] if m else None
