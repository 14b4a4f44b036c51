# proc.sh: the processes of a benchmark run: required programs, free
# ports, starting, waiting for and stopping servers, and reading their
# memory and CPU time from /proc.
# shellcheck shell=bash

BENCH_PIDS=()

# Prints a message on stderr and exits 1.
bench_die()
{
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

bench_say()
{
	printf 'bench: %s\n' "$*" >&2
}

# Accepts pairs "program:debian-package"; installs the missing packages
# when running as root with apt-get, otherwise names them and fails.
bench_need()
{
	local pair prog pkg missing=()

	for pair in "$@"; do
		prog=${pair%%:*}
		pkg=${pair#*:}
		command -v "$prog" >/dev/null 2>&1 || missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return 0
	bench_install "${missing[@]}"
}

# Accepts Debian packages that are missing; installs them when running as
# root with apt-get, otherwise names them and fails.
bench_install()
{
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		bench_say "installing $*"
		if apt-get update -qq >&2 &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    "$@" >&2; then
			return 0
		fi
		bench_die "apt-get install $* failed"
	fi
	bench_die "missing; install: apt-get install $*"
}

# Accepts the program to make, its C sources and the pkg-config names of
# its libraries; builds it in BENCH_TMP with the project's warnings and
# prints its path.  Further compiler arguments may follow a `--`.
bench_cc()
{
	local out=$BENCH_TMP/$1 srcs=() pkgs=() extra=() flags
	shift
	while (($#)) && [[ $1 != -- && $1 == *.c ]]; do
		srcs+=("$1")
		shift
	done
	while (($#)) && [[ $1 != -- ]]; do
		pkgs+=("$1")
		shift
	done
	(($#)) && shift
	extra=("$@")
	flags=
	((${#pkgs[@]} == 0)) ||
	    flags=$(pkg-config --cflags --libs "${pkgs[@]}") ||
	    bench_die "pkg-config ${pkgs[*]} failed: install the -dev packages"
	# shellcheck disable=SC2086 # pkg-config's words
	cc -std=c17 -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$out" \
	    "${srcs[@]}" "${extra[@]}" $flags >&2 ||
	    bench_die "cannot build $out from ${srcs[*]}"
	echo "$out"
}

# Accepts a count N; prints N distinct free TCP ports on 127.0.0.1.  They
# are found by binding, below the kernel's ephemeral range so that no
# outgoing connection of the run can be holding one.
bench_ports()
{
	python3 - "$1" <<-'PY'
	import random, socket, sys
	want, found = int(sys.argv[1]), []
	socks = []
	for _ in range(2000):
	    if len(found) == want:
	        break
	    port = random.randrange(20000, 32000)
	    if port in found:
	        continue
	    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	    try:
	        s.bind(("127.0.0.1", port))
	    except OSError:
	        s.close()
	        continue
	    socks.append(s)
	    found.append(port)
	if len(found) != want:
	    sys.exit("no free ports")
	print(" ".join(map(str, found)))
	PY
}

# Accepts a log file and a command; starts the command in the background
# with its output in the log, remembers its pid for bench_cleanup and
# leaves the pid in BENCH_LASTPID.
bench_spawn()
{
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BENCH_LASTPID=$!
	BENCH_PIDS+=("$BENCH_LASTPID")
}

# Stops every process bench_spawn started, newest first: SIGTERM, then
# SIGKILL for any still there after 3 s.
bench_stop_spawned()
{
	local pid i left

	for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--))
	do
		kill -TERM "${BENCH_PIDS[i]}" 2>/dev/null || true
	done
	for ((i = 0; i < 30; i++)); do
		left=0
		for pid in "${BENCH_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && left=1
		done
		((left)) || break
		sleep 0.1
	done
	for pid in "${BENCH_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	BENCH_PIDS=()
}

# Stops what a section started and left running (a wrk or a pause that
# Ctrl-C or a failure interrupted, the spawned servers).
bench_stop_section()
{
	[[ -n ${BENCH_WRK_PID:-} ]] && kill -TERM "$BENCH_WRK_PID" 2>/dev/null
	[[ -n ${BENCH_SLEEP_PID:-} ]] && kill -TERM "$BENCH_SLEEP_PID" 2>/dev/null
	bench_stop_spawned
}

# Stops what the run started (bench_stop_section, then the stack);
# removes the temporary folder.
bench_cleanup()
{
	bench_stop_section
	bench_stack_stop
	bench_tmp_remove
}

# Removes the temporary folder unless BENCH_KEEP is set.
bench_tmp_remove()
{
	if [[ -n ${BENCH_TMP:-} && -d $BENCH_TMP ]]; then
		if [[ -n ${BENCH_KEEP:-} ]]; then
			bench_say "kept $BENCH_TMP"
		else
			rm -rf "$BENCH_TMP"
		fi
	fi
}

# Accepts a pid, its log, a port and a path; waits up to 10 s for
# `GET path` to answer 200.  Fails with the log when the process dies or
# time runs out.
bench_wait_http()
{
	local pid=$1 log=$2 port=$3 path=$4 i

	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$log" >&2
			bench_die "process $pid exited before serving port $port"
		fi
		bench_http "$port" GET "$path" "" 200 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$log" >&2
	bench_die "nothing answered 200 on 127.0.0.1:$port$path in 10 s"
}

# Accepts a port, a method, a path, a JSON body (may be empty) and the
# expected status; prints the X-Pfo3-Worker header (or -) and the body on
# one line.  Fails on another status.
bench_http()
{
	python3 - "$@" <<-'PY'
	import http.client, sys
	port, method, path, body, want = sys.argv[1:6]
	c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=2)
	headers = {"Content-Type": "application/json"} if body else {}
	c.request(method, path, body=body or None, headers=headers)
	r = c.getresponse()
	data = r.read().decode(errors="replace").strip()
	print(r.getheader("X-Pfo3-Worker", "-"), data)
	sys.exit(0 if r.status == int(want) else 1)
	PY
}

# Accepts a pid; prints the children of that process (nginx's workers).
bench_children()
{
	local f=/proc/$1/task/$1/children

	if [[ -r $f ]]; then
		cat "$f"
	else
		pgrep -P "$1" | tr '\n' ' '
	fi
}

# Accepts a pid; prints its resident set size in KiB (VmRSS).
bench_rss()
{
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null ||
	    echo 0
}

# Accepts stat files of /proc; prints the sum of their user and system
# clock ticks.  The fields are counted after the last ')' because the
# command name may hold spaces.
bench_ticks()
{
	local f line sum=0 rest

	for f in "$@"; do
		line=$(cat "$f" 2>/dev/null) || continue
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}

# Prints "busy total" jiffies of the whole machine, from /proc/stat.
bench_machine_ticks()
{
	awk '$1 == "cpu" {
		total = 0
		for (i = 2; i <= NF; i++)
			total += $i
		print total - $5 - $6, total
	}' /proc/stat
}
