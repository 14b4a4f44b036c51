"""
psql.py — the stack's PostgreSQL database read and written straight, with
psql, to check what the workers stored or to set up a case.
"""

import os
import subprocess


def psql(sql):
    """One statement through psql on the stack's database
    ($PFO3_PG_CONNINFO); its output (unaligned, `|` between columns, one
    row a line), trimmed.  Raises RuntimeError when it fails."""
    p = subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1",
                        "-d", os.environ["PFO3_PG_CONNINFO"], "-c", sql],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("psql: %s" % p.stderr.strip())
    return p.stdout.strip()
