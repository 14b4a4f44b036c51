#!/usr/bin/env bash
# ctld.sh: what pfo3-ctld costs.  A private pfo3-ctld on the running
# stack's services (no local worker, no HAProxy) is measured idle (the
# reference), then with BENCH_WORKERS remote workers heartbeating once a
# second and one `watch` client at 1 Hz: its CPU in percent of one core,
# and the round trip of `status` next to that of `ping`.  Writes its
# section of doc/BENCHMARKS.md (between the `bench:ctld` markers; run.sh
# keeps it).  See bench/README.md.
#
# Needs a stack: ./stack up --detach; eval "$(./stack env)"; bench/ctld.sh
# Environment: BENCH_WORKERS (64), BENCH_SECONDS (20, per CPU measurement),
# BENCH_WARMUP (300: seconds of load first, so that every history ring is
# full), BENCH_CALLS (300 status and 300 ping), BENCH_OUT (the report).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(dirname "$BENCH_DIR")
. "$BENCH_DIR/lib/proc.sh"
. "$BENCH_DIR/lib/doc.sh"

BENCH_OUT=${BENCH_OUT:-$SRCDIR/doc/BENCHMARKS.md}
export BENCH_WORKERS=${BENCH_WORKERS:-64}
export BENCH_SECONDS=${BENCH_SECONDS:-20}
export BENCH_CALLS=${BENCH_CALLS:-300}
export BENCH_WARMUP=${BENCH_WARMUP:-300}

for v in PFO3_CTLD PFO3_CONF PFO3_AMQP_MGMT_URL PFO3_AMQP_URL; do
	[[ -n ${!v:-} ]] || bench_die "$v is not set: ./stack up --detach, then eval \"\$(./stack env)\""
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
bench_say "measuring pfo3-ctld: idle, then $BENCH_WORKERS workers + watch (${BENCH_WARMUP}s of warm-up, ${BENCH_SECONDS}s each)"
json=$(python3 "$BENCH_DIR/lib/ctld-bench.py") || bench_die "the measurement failed"

# The section, from the numbers.
section=$(python3 - "$json" "$load" "$("$PFO3_CTLD" --version)" <<-'PY'
import json, sys, time
r = json.loads(sys.argv[1])
load, version = sys.argv[2], sys.argv[3]
f = lambda x: "%.2f" % x
print("<!-- bench:ctld -->")
print("## pfo3-ctld (bench/ctld.sh)\n")
print("Written by `bench/ctld.sh`, %s, %s, load average before: %s.\n"
      % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), version, load))
print("A private pfo3-ctld on the stack's PostgreSQL, RabbitMQ and S3 "
      "(refresh every second, dependency probes included), measured idle "
      "with no worker (the reference), then with %d remote workers whose "
      "heartbeats arrive once a second on pfo3.events and one `watch` client "
      "at 1 Hz reading every status. After %g s of that load every "
      "worker's history holds %d samples and a status is %d bytes. CPU is "
      "user+system time over %g s in percent of one core, of pfo3-ctld "
      "and its child pfo3-ctld-deps (the heartbeats' consumer) together. "
      "Round trips are "
      "%d `status` and %d `ping` (the protocol's floor) one after another, "
      "with the load still on.\n" % (r["workers"], r["warmup"],
                                      r["history"], r["status_bytes"],
                                      r["seconds"], r["calls"], r["calls"]))
print("| measure | reference | subject | aim |")
print("|---|---:|---:|---:|")
print("| CPU, %% of one core: idle → %d workers + watch | %s | **%s** | ≤ 1 |"
      % (r["workers"], f(r["idle_cpu_pct"]), f(r["load_cpu_pct"])))
print("| round trip p50, ms: `ping` → `status` | %s | %s | |"
      % (f(r["ping_p50_ms"]), f(r["status_p50_ms"])))
print("| round trip p99, ms: `ping` → `status` | %s | **%s** | |"
      % (f(r["ping_p99_ms"]), f(r["status_p99_ms"])))
print("| round trip max, ms: `ping` → `status` | %s | %s | |"
      % (f(r["ping_max_ms"]), f(r["status_max_ms"])))
print("| memory (VmRSS), KiB | %d | %d | |"
      % (r["idle_rss_kib"], r["load_rss_kib"]))
print("\nWorkers up during the load: %d of %d; heartbeats published: %d "
      "(%d failed); watch lines read: %d.\n"
      % (r["workers_up"], r["workers"], r["heartbeats_sent"],
         r["heartbeats_failed"], r["watch_lines"]))
print("Rerun: `./stack up --detach; eval \"$(./stack env)\"; "
      "BENCH_SECONDS=%g BENCH_WARMUP=%g bench/ctld.sh`."
      % (r["seconds"], r["warmup"]))
print("<!-- /bench:ctld -->")
PY
)

# Replaces the section, or appends it.
bench_doc_replace "$BENCH_OUT" ctld "$section"
printf '%s\n' "$section"
