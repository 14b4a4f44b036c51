#!/usr/bin/env python3
"""The shape of pfo3-ctld's sources (daemons/ctld), read from the text:

- no two files call each other in a loop: file A uses file B when A names
  a function B defines (a call, or a function passed as a pointer); the
  graph of those uses has no circle;
- every function a ctld header declares is defined by some ctld file;
- a worker's state is written in one place (lifecycle-apply.c), apart
  from its birth (worker.c);
- every libevent event it makes is checked for NULL.

Prints TAP; needs only the sources (PFO3_SRCDIR, else the current folder).
"""
import os
import re
import sys

SRC = os.path.join(os.environ.get("PFO3_SRCDIR") or ".", "daemons", "ctld")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "void",
            "int", "char", "static", "struct", "const", "unsigned", "long",
            "double", "enum", "typedef"}
# Events: the result must be compared with NULL before it is used.
EVENT_MAKERS = ("event_new", "evtimer_new", "evsignal_new")
# Files whose events need no check (none).
EVENT_EXEMPT = ()

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        failed += 1
        if diag:
            for line in str(diag).splitlines():
                print("# " + line)


def strip(text):
    """The C text without comments, string and character literals."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"'(\\.|[^'\\\n])*'", "''", text)


def read(name):
    with open(os.path.join(SRC, name)) as f:
        return f.read()


sources = {f: strip(read(f)) for f in sorted(os.listdir(SRC))
           if f.endswith(".c")}
headers = {f: strip(read(f)) for f in sorted(os.listdir(SRC))
           if f.endswith(".h")}

# Functions each file defines: a name at the start of a line followed by
# "(", the line above being its type (the style of the whole project).
defined = {}     # public name -> file
statics = {}     # file -> its static names
twice = []
for f, text in sources.items():
    lines = text.split("\n")
    statics[f] = set()
    for i, line in enumerate(lines):
        m = re.match(r"([a-z_]\w*)\(", line)
        if not m or i == 0 or m.group(1) in KEYWORDS:
            continue
        name = m.group(1)
        if lines[i - 1].startswith("static"):
            statics[f].add(name)
        elif name in defined:
            twice.append("%s: %s and %s" % (name, defined[name], f))
        else:
            defined[name] = f
ok(len(defined) > 50, "found the functions the ctld files define (%d)"
   % len(defined))
ok(not twice, "no function is defined by two files", "\n".join(twice))

# Uses: a file names a function another file defines.
uses = {f: set() for f in sources}
for f, text in sources.items():
    for word in set(re.findall(r"\b[a-z_]\w*\b", text)):
        g = defined.get(word)
        if g is not None and g != f and word not in statics[f]:
            uses[f].add(g)


def circles(graph):
    """The strongly connected components of more than one file."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


found = circles(uses)
why = []
for comp in found:
    for f in comp:
        why.append("%s uses %s" % (f, ", ".join(
            sorted(g for g in uses[f] if g in comp))))
ok(not found, "no circle between the ctld files", "\n".join(why))
ok(not (uses.get("journal.c") or set()),
   "journal.c uses no other ctld file", uses.get("journal.c"))
ok(not (uses.get("lifecycle.c") or set()),
   "lifecycle.c (the table) uses no other ctld file",
   uses.get("lifecycle.c"))
up = sorted(f for f in ("action.c", "command.c", "ctld.c")
            if f in uses.get("supervise.c", set()) |
            uses.get("worker.c", set()))
ok(not up, "supervise.c and worker.c call nothing of the actions", up)

# Declarations in the headers.
undefined = []
for h, text in headers.items():
    text = "\n".join(l for l in text.split("\n")
                     if not l.lstrip().startswith("#"))
    for stmt in text.split(";"):
        stmt = stmt.strip()
        if stmt.startswith("typedef") or "{" in stmt or "}" in stmt:
            continue
        m = re.search(r"(?<![(*\w])\b([a-z_]\w*)\s*\(", stmt)
        if not m or m.group(1) in KEYWORDS:
            continue
        if m.group(1) not in defined:
            undefined.append("%s: %s" % (h, m.group(1)))
ok(not undefined, "every function a ctld header declares is defined",
   "\n".join(undefined))

# Writes of a worker's state.
writes = []
for f, text in sources.items():
    for i, line in enumerate(text.split("\n"), 1):
        m = re.search(r"(->|\.)state\s*=(?!=)\s*([^;]*)", line)
        if not m:
            continue
        if f == "lifecycle-apply.c":
            continue
        if f == "worker.c" and m.group(2).strip() == "WS_STARTING":
            continue
        writes.append("%s:%d: %s" % (f, i, line.strip()))
ok(not writes, "a worker's state is written by lifecycle-apply.c only",
   "\n".join(writes))
applies = [f for f, text in sources.items()
           if re.search(r"\blifecycle_apply\s*\(", text)]
ok(len(applies) > 3, "the supervisor and the actions feed the lifecycle "
   "(%s)" % ", ".join(applies))

# Events checked for NULL.
unchecked = []
for f, text in sources.items():
    if f in EVENT_EXEMPT:
        continue
    for m in re.finditer(r"(\w+(?:->\w+|\.\w+|\[\w+\])*)\s*=\s*(%s)\s*\("
                         % "|".join(EVENT_MAKERS), text):
        lhs = m.group(1)
        window = text[m.start():m.start() + 400]
        if not (re.search(re.escape(lhs) + r"\s*==\s*NULL", window) or
                re.match(r"[^;]*?\)\)\s*==\s*NULL", window)):
            line = text.count("\n", 0, m.start()) + 1
            unchecked.append("%s:%d: %s" % (f, line, m.group(0)))
    for m in re.finditer(r"(?<![=\w])\s(%s)\s*\(" % "|".join(EVENT_MAKERS),
                         text):
        line = text.count("\n", 0, m.start()) + 1
        unchecked.append("%s:%d: result not kept" % (f, line))
ok(not unchecked, "every event_new/evtimer_new/evsignal_new is checked",
   "\n".join(unchecked))

print("1..%d" % n)
sys.exit(1 if failed else 0)
