# shellcheck shell=bash
# ports.sh: which TCP port each component listens on (all on 127.0.0.1).
#
# `up` uses fixed defaults, each overridable from the environment; `test`
# picks a free block so it can run beside `up`. The ports in use are saved in
# RUN_DIR/state, which down/status/env and a second `up` read back.

# Names saved in RUN_DIR/state (the build whose workers run, and the ports);
# each may be set in the environment for `up`.
STATE_VARS=(PFO3_BUILDDIR PFO3_HTTP_PORT PFO3_HTTPS_PORT PFO3_SEED_PORT
	PFO3_WORKER_COUNT PFO3_WORKER_PORTS PFO3_AGENT_PORTS PFO3_PG_PORT PFO3_AMQP_PORT
	PFO3_AMQP_DIST_PORT PFO3_AMQP_MGMT_PORT PFO3_AMQP_CTL_PORT PFO3_EPMD_PORT PFO3_S3_PORT
	PFO3_SMTP_PORT)

# ports_defaults: the development ports, unless set in the environment. The
# services the system uses but a user does not browse sit in 17000-17700,
# away from the usual ports of system-wide instances.
ports_defaults()
{
	local i n base abase
	: "${PFO3_BUILDDIR:=$SRCDIR/build}"
	: "${PFO3_HTTP_PORT:=8080}" "${PFO3_HTTPS_PORT:=8443}" "${PFO3_SEED_PORT:=5000}"
	: "${PFO3_WORKER_COUNT:=3}"
	[[ $PFO3_WORKER_COUNT =~ ^[1-9]$ ]] || die "PFO3_WORKER_COUNT must be 1..9"
	n=$PFO3_WORKER_COUNT
	base=${PFO3_WORKER_BASE_PORT:-8001}
	abase=${PFO3_AGENT_BASE_PORT:-9001}
	if [[ -z ${PFO3_WORKER_PORTS:-} ]]; then
		PFO3_WORKER_PORTS=$(for ((i = 0; i < n; i++)); do printf '%s ' $((base + i)); done)
		PFO3_WORKER_PORTS=${PFO3_WORKER_PORTS% }
	fi
	if [[ -z ${PFO3_AGENT_PORTS:-} ]]; then
		PFO3_AGENT_PORTS=$(for ((i = 0; i < n; i++)); do printf '%s ' $((abase + i)); done)
		PFO3_AGENT_PORTS=${PFO3_AGENT_PORTS% }
	fi
	ports_contiguous "$PFO3_WORKER_PORTS" PFO3_WORKER_PORTS
	ports_contiguous "$PFO3_AGENT_PORTS" PFO3_AGENT_PORTS
	: "${PFO3_PG_PORT:=17432}" "${PFO3_AMQP_PORT:=17672}" "${PFO3_AMQP_DIST_PORT:=17673}"
	: "${PFO3_AMQP_MGMT_PORT:=17674}"
	: "${PFO3_AMQP_CTL_PORT:=17680}" "${PFO3_EPMD_PORT:=17369}"
	: "${PFO3_S3_PORT:=17568}" "${PFO3_SMTP_PORT:=17025}"
}

# ports_contiguous "P1 P2 ..." NAME: pfo3-ctld numbers wN's ports from a
# base, so they must follow each other.
ports_contiguous()
{
	local a i
	read -r -a a <<<"$1"
	for ((i = 1; i < ${#a[@]}; i++)); do
		((a[i] == a[0] + i)) || die "$2 must be consecutive ports (pfo3-ctld counts from the first): $1"
	done
}

# ports_block_free BASE COUNT: true when 127.0.0.1:BASE..BASE+COUNT-1 can
# all be bound (SO_REUSEADDR as servers set it, so TIME_WAIT does not count).
ports_block_free()
{
	/usr/bin/python3 - "$1" "$2" <<-'EOF'
	import socket, sys
	base, count = int(sys.argv[1]), int(sys.argv[2])
	for port in range(base, base + count):
	    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    try:
	        s.bind(("127.0.0.1", port))
	    except OSError:
	        sys.exit(1)
	    finally:
	        s.close()
	EOF
}

# ports_pick_free: sets every port to a free block of 40 starting at a random
# base in 20000-31999 (below Linux's ephemeral range, so outgoing connections
# do not take them meanwhile).
ports_pick_free()
{
	local try base i n=3
	for ((try = 0; try < 50; try++)); do
		base=$((20000 + (RANDOM % 300) * 40))
		ports_block_free "$base" 40 && break
		base=
	done
	[[ -n $base ]] || die "no block of 40 free ports found in 20000-31999"
	PFO3_HTTP_PORT=$base PFO3_HTTPS_PORT=$((base + 1)) PFO3_SEED_PORT=$((base + 2))
	PFO3_WORKER_COUNT=$n PFO3_WORKER_PORTS='' PFO3_AGENT_PORTS=''
	for ((i = 0; i < n; i++)); do
		PFO3_WORKER_PORTS+="$((base + 10 + i)) "
		PFO3_AGENT_PORTS+="$((base + 20 + i)) "
	done
	PFO3_WORKER_PORTS=${PFO3_WORKER_PORTS% } PFO3_AGENT_PORTS=${PFO3_AGENT_PORTS% }
	PFO3_PG_PORT=$((base + 3)) PFO3_AMQP_PORT=$((base + 4))
	PFO3_AMQP_DIST_PORT=$((base + 5)) PFO3_EPMD_PORT=$((base + 6))
	PFO3_S3_PORT=$((base + 7)) PFO3_SMTP_PORT=$((base + 8))
	PFO3_AMQP_MGMT_PORT=$((base + 9))
	PFO3_AMQP_CTL_PORT=$((base + 30))
}

# ports_save: writes the ports in use to RUN_DIR/state.
ports_save()
{
	local v
	for v in "${STATE_VARS[@]}"; do
		printf '%s=%s\n' "$v" "$(shquote "${!v}")"
	done >"$RUN_DIR/state"
}

# ports_load: reads RUN_DIR/state back; returns 1 if there is none.
ports_load()
{
	[[ -f $RUN_DIR/state ]] || return 1
	# shellcheck disable=SC1091
	. "$RUN_DIR/state"
}

# ports_resolve: the ports of this state folder: those saved if anything of
# it still runs, else the defaults (or the environment's).
ports_resolve()
{
	if stack_any_running && ports_load; then
		return 0
	fi
	ports_defaults
}

# ports_known: the saved ports if any, else the defaults, for commands that
# only look (status, env, down).
ports_known()
{
	ports_load || ports_defaults
}

# ports_check_free COMPONENT PORT...: fails naming the variable to change if
# a port is taken.
ports_check_free()
{
	local what=$1 p
	shift
	for p in "$@"; do
		ports_block_free "$p" 1 ||
			die "$what: port $p on 127.0.0.1 is in use (see: ss -ltnp 'sport = :$p'); pick another with the PFO3_*_PORT variables"
	done
}

# worker_port N / agent_port N: the ports of worker wN (N from 1).
worker_port()
{
	local a
	read -r -a a <<<"$PFO3_WORKER_PORTS"
	printf '%s' "${a[$1 - 1]}"
}

agent_port()
{
	local a
	read -r -a a <<<"$PFO3_AGENT_PORTS"
	printf '%s' "${a[$1 - 1]}"
}
