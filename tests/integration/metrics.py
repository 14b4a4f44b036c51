"""
metrics.py — reading the Prometheus text format of GET /metrics.
"""

import re


def parse_metrics(text):
    """Prometheus text format → [(name, {label: value}, float)]."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            raise ValueError("bad metrics line %r" % line)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"',
                                 m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def metric(samples, name, **labels):
    """The value of the one sample named `name` whose labels include
    `labels`, or None."""
    found = [v for n, l, v in samples if n == name and
             all(l.get(k) == v2 for k, v2 in labels.items())]
    return found[0] if len(found) == 1 else None
