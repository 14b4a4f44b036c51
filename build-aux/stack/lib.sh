# shellcheck shell=bash
# lib.sh: messages, pid files, waiting and quoting shared by the stack modules.
# Sourced by ./stack; defines functions only.

# say MESSAGE...: a progress line on stderr, so `./stack env` stdout stays clean.
say()
{
	printf 'stack: %s\n' "$*" >&2 || true
}

# warn MESSAGE...
warn()
{
	printf 'stack: warning: %s\n' "$*" >&2 || true
}

# die MESSAGE...: print and exit 1 (EXIT traps still run).
die()
{
	printf 'stack: error: %s\n' "$*" >&2
	exit 1
}

# shquote STRING: STRING single-quoted for sh, so a sourced env file is safe
# whatever the path holds.
shquote()
{
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# abspath PATH: PATH made absolute against the current directory (need not exist).
abspath()
{
	case $1 in
	/*) printf '%s' "$1" ;;
	*) printf '%s/%s' "$PWD" "$1" ;;
	esac
}

# pid_file NAME: where the pid of component NAME is kept.
pid_file()
{
	printf '%s/pids/%s.pid' "$RUN_DIR" "$1"
}

# pid_save NAME PID
pid_save()
{
	mkdir -p "$RUN_DIR/pids"
	printf '%s\n' "$2" >"$(pid_file "$1")"
}

# pid_is_ours PID: true when PID is alive and names our state folder in its
# command line or its environment. Every process the stack starts does one
# or the other, so a recycled pid from a stale file is never taken for ours.
pid_is_ours()
{
	local pid=$1 s
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
	s=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline") || true
	[[ $s == *"$RUN_DIR"* ]] && return 0
	# A cluster kept outside RUN_DIR (postgres.sh, pg_dir) names its own.
	[[ -L $RUN_DIR/pg && $s == *"$(readlink -f "$RUN_DIR/pg")"* ]] && return 0
	s=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ") || true
	[[ $s == *"$RUN_DIR"* ]]
}

# read_pid FILE: prints the first line of FILE (a pid), which may lack its
# newline.
read_pid()
{
	head -n 1 "$1" 2>/dev/null || true
}

# pid_comm NAME: the process name (/proc/PID/comm) component NAME runs
# under, or nothing for a component of any name.
pid_comm()
{
	case $1 in
	postgres) printf postgres ;;
	rabbitmq) printf beam.smp ;;
	rabbitmq-script) printf rabbitmq-server ;;
	s3) printf node ;;
	smtp) printf python3 ;;
	haproxy) printf haproxy ;;
	ctld) printf pfo3-ctld ;;
	w[0-9]*) printf pfo3-workerd ;;
	esac
}

# pid_is NAME PID: true when PID is ours (pid_is_ours) and runs the program
# of component NAME, so a pid recycled by another process of the same stack
# (a test's psql, say) is not taken for the service.
pid_is()
{
	local want comm
	pid_is_ours "$2" || return 1
	want=$(pid_comm "$1")
	[[ -z $want ]] && return 0
	comm=$(cat "/proc/$2/comm" 2>/dev/null) || return 1
	[[ $comm == "$want" ]]
}

# pid_own_file NAME: the pid file a service writes itself and keeps up to
# date across its own restarts (PostgreSQL's postmaster.pid, the Erlang
# VM's beam.pid), or nothing.
pid_own_file()
{
	case $1 in
	postgres) printf '%s/data/postmaster.pid' "$(pg_dir)" ;;
	rabbitmq) printf '%s/rabbitmq/beam.pid' "$RUN_DIR" ;;
	esac
}

# pid_get NAME: prints the pid of component NAME if it runs, else prints
# nothing and returns 1. A stale pid file is removed. When our file is
# stale but the service's own pid file names a live process of it (it was
# restarted by other means than ./stack), that pid is taken and saved.
pid_get()
{
	local f own pid keep=0
	f=$(pid_file "$1")
	pid=$(read_pid "$f")
	if [[ -n $pid ]] && pid_is "$1" "$pid"; then
		printf '%s' "$pid"
		return 0
	fi
	# Ours but another program: a recycled pid, or a child of ours
	# between fork and exec; the file is left for the next look.
	[[ -n $pid ]] && pid_is_ours "$pid" && keep=1
	own=$(pid_own_file "$1")
	if [[ -n $own ]]; then
		pid=$(read_pid "$own")
		if [[ -n $pid ]] && pid_is "$1" "$pid"; then
			pid_save "$1" "$pid"
			printf '%s' "$pid"
			return 0
		fi
	fi
	((keep)) || rm -f "$f"
	return 1
}

# pid_frozen PID: true when PID is stopped by a signal (SIGSTOP), which
# keeps its port open but answers nothing.
pid_frozen()
{
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} == T ]]
}

# pid_stop NAME SIGNAL TIMEOUT [quiet]: sends SIGNAL to component NAME and
# waits up to TIMEOUT seconds for it to exit, then SIGKILL. Says nothing when
# it is not running, nor with `quiet` (the caller has said it).
pid_stop()
{
	local name=$1 sig=$2 timeout=$3 pid i
	pid=$(pid_get "$name") || return 0
	[[ ${4:-} == quiet ]] || say "stopping $name (pid $pid)"
	kill "-$sig" "$pid" 2>/dev/null || true
	# A frozen (SIGSTOP) process acts on the signal only once continued.
	pid_frozen "$pid" && kill -CONT "$pid" 2>/dev/null
	for ((i = 0; i < timeout * 10; i++)); do
		pid_is_ours "$pid" || break
		sleep 0.1
	done
	if pid_is_ours "$pid"; then
		warn "$name (pid $pid) ignored SIG$sig for ${timeout}s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			pid_is_ours "$pid" || break
			sleep 0.1
		done
	fi
	rm -f "$(pid_file "$name")"
}

# log_file NAME: the log of component NAME.
log_file()
{
	printf '%s/log/%s.log' "$RUN_DIR" "$1"
}

# log_tail NAME [LINES]: the end of component NAME's log, indented, on stderr.
log_tail()
{
	local f
	f=$(log_file "$1")
	[[ -s $f ]] || return 0
	printf -- '--- last lines of %s ---\n' "$f" >&2
	tail -n "${2:-30}" "$f" | sed 's/^/    /' >&2
}

# wait_for NAME PID TIMEOUT DESCRIPTION COMMAND...: runs COMMAND every 0.2 s
# until it succeeds. Fails with the log of NAME when PID dies first or after
# TIMEOUT seconds. PID may be empty to not watch a process.
wait_for()
{
	local name=$1 pid=$2 timeout=$3 what=$4 deadline
	shift 4
	deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			log_tail "$name"
			die "$name exited while waiting for $what (log: $(log_file "$name"))"
		fi
		if ((SECONDS >= deadline)); then
			log_tail "$name"
			die "$name: no $what after ${timeout}s (log: $(log_file "$name"))"
		fi
		sleep 0.2
	done
}

# tcp_open PORT: true when something accepts on 127.0.0.1:PORT.
tcp_open()
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# spawn NAME COMMAND...: starts COMMAND in its own session (so a Ctrl-C at
# the terminal reaches only ./stack, which then stops things in order), with
# stdin from /dev/null and output appended to NAME's log. Sets SPAWNED_PID.
# setsid does not fork here (a background child is never a group leader), so
# the pid is the command's own once it has exec'd.
spawn()
{
	local name=$1 log
	shift
	log=$(log_file "$name")
	mkdir -p "$RUN_DIR/log"
	printf '=== %s: %s\n' "$(date '+%F %T')" "$*" >>"$log"
	setsid "$@" </dev/null >>"$log" 2>&1 &
	SPAWNED_PID=$!
	# Out of the job table: its death is reported by up_watch, not by bash.
	disown "$SPAWNED_PID" 2>/dev/null || true
	pid_save "$name" "$SPAWNED_PID"
}
