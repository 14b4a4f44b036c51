#!/usr/bin/env bash
# haproxy-cost.sh: the instructions HAProxy runs per request on a given
# configuration, counted by valgrind's callgrind: a figure that repeats
# within 1-2 % on a shared machine, where CPU µs per request moves by 2x
# from one run to the next.  It compares configurations (bench/README.md,
# "Tuning the shipped HAProxy"); the servers behind HAProxy must run.
#
# usage: bench/haproxy-cost.sh CONFIG http://127.0.0.1:PORT/PATH [LUA]
#        bench/haproxy-cost.sh CONFIG seed:PORT SEED_LOAD
#
# The first form loads HAProxy with wrk (-t1 -c8, optionally a wrk Lua
# script); the second with seed-load (bench/seed-load.c, built: cc -O2
# -pthread -o seed-load bench/seed-load.c), a `suma` task per connection.
# CONFIG must not hold a stats socket another HAProxy uses, nor ports
# another process listens on (HAProxy binds with SO_REUSEPORT: a second
# listener would take half the load unseen).  Prints
# "requests instructions instructions/request".
set -euo pipefail

cfg=$1 target=$2 extra=${3:-}
tmp=$(mktemp -d /tmp/pfo3-hxcost.XXXXXX)
# HAProxy, then valgrind's last dump, must end before the folder goes.
trap 'if [[ -n ${vp:-} ]]; then kill "$vp"; wait "$vp"; fi 2>/dev/null || true; rm -rf "$tmp"' EXIT
body='{"operacion":"suma","datos":{"a":25,"b":17}}'

# Accepts a length in seconds; runs the load for that long into
# $tmp/load.out.
load()
{
	if [[ $target == seed:* ]]; then
		"$extra" 127.0.0.1 "${target#seed:}" 1 8 "$1" "$body" \
		    '"resultado":42' >"$tmp/load.out"
	elif [[ -n $extra ]]; then
		wrk -t1 -c8 "-d${1}s" -s "$extra" "$target" >"$tmp/load.out"
	else
		wrk -t1 -c8 "-d${1}s" "$target" >"$tmp/load.out"
	fi
}

# Prints the requests the last load made.
requests()
{
	awk '$1 == "tasks" { print $2 } / requests in / { print $1 }' \
	    "$tmp/load.out"
}

command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" \
    haproxy -f "$cfg" -db >"$tmp/haproxy.log" 2>&1 &
vp=$!
# HAProxy starts slowly under valgrind: until a one-second load goes through.
for _ in $(seq 60); do
	load 1 2>/dev/null && (($(requests) + 0 > 0)) && break
	kill -0 "$vp" || { cat "$tmp/haproxy.log" >&2; exit 1; }
	sleep 0.5
done
load 3				# warm-up: pools, connections to the servers
callgrind_control -z "$vp" >/dev/null 2>&1
load 8
callgrind_control -d "$vp" >/dev/null 2>&1
sleep 0.5
n=$(requests)
n=${n:-0}
ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp"/cg.*.1)
((n > 0)) || { echo "no request went through" >&2; exit 1; }
echo "$n $ir $((ir / n))"
