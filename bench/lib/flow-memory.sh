# flow-memory.sh: the `memory` section.  The memory of the stack's
# daemons at rest, every dependency connected: RSS, PSS and anonymous
# memory (RssAnon, a process's own) of each worker, of pfo3-ctld, of its
# child pfo3-ctld-deps (the clients of the services) and of the host's set
# (three workers, pfo3-ctld and pfo3-ctld-deps, PSS: library pages shared
# by them count once), beside an nginx worker's in the same run; and the
# shared libraries mapped into the workers before and after a thumbnail
# job (the renderers are modules loaded on first use).
# shellcheck shell=bash

# Seconds the stack rests, after the warm-up calls, before it is measured.
BENCH_MEMORY_REST=${BENCH_MEMORY_REST:-3}

# Accepts a pid; prints "Rss Pss Anonymous" in KiB from smaps_rollup
# (Anonymous: the process's own pages, RssAnon of /proc/PID/status).
bench_memory_rollup()
{
	awk '$1 == "Rss:" { r = $2 } $1 == "Pss:" { p = $2 }
	    $1 == "Anonymous:" { a = $2 }
	    END { print r + 0, p + 0, a + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null ||
	    echo "0 0 0"
}

# Accepts a pid; prints "COUNT NAMES": how many shared libraries are
# mapped into it, and which of the renderers' (libvips, cairo, poppler,
# librsvg) are among them ("none" when none is).
bench_memory_libs()
{
	local libs found=() l

	libs=$(awk '$6 ~ /\.so/ { print $6 }' "/proc/$1/maps" | sort -u)
	for l in vips cairo poppler rsvg; do
		grep -q "/lib${l}[-.]" <<<"$libs" && found+=("$l")
	done
	printf '%s %s\n' "$(grep -c . <<<"$libs")" \
	    "$(IFS=,; echo "${found[*]:-none}")"
}

# Accepts a label and pids; records each pid's rollup in MEM_ROW[label N]
# and MEM_ORDER.
bench_memory_record()
{
	local label=$1 pid n=0
	shift

	for pid in "$@"; do
		n=$((n + 1))
		MEM_ORDER+=("$label $n")
		MEM_ROW["$label $n"]=$(bench_memory_rollup "$pid")
	done
}

# Starts an nginx of one worker process with the http section's
# configuration; prints the worker's pid.
bench_memory_nginx()
{
	local port i kids

	local d=$BENCH_TMP/memory

	port=$(bench_ports 1)
	mkdir -p "$d/nginx"
	bench_render "$BENCH_DIR/nginx.conf.in" "TMP=$d" "NGINX_PORT=$port" \
	    "NGINX_WORKERS=1" >"$d/nginx/nginx.conf"
	bench_spawn "$d/nginx/stderr.log" nginx -p "$d/nginx" \
	    -e "$d/nginx/error.log" -c "$d/nginx/nginx.conf" -g 'daemon off;'
	MEM_NGINX_PID=$BENCH_LASTPID
	bench_wait_http "$MEM_NGINX_PID" "$d/nginx/error.log" "$port" /healthz
	# Served once, as the workers were.
	bench_http "$port" GET /healthz "" 200 >/dev/null
	for ((i = 0; i < 50; i++)); do
		kids=$(bench_children "$MEM_NGINX_PID")
		[[ -n ${kids// } ]] && break
		sleep 0.1
	done
	[[ -n ${kids// } ]] || bench_die "nginx started no worker process"
	read -r MEM_NGINX_WORKER _ <<<"$kids"
}

# Prints the pids of the stack's three workers, each a running
# pfo3-workerd (a pid file may lag behind a worker pfo3-ctld restarted:
# waits up to 10 s for it).
bench_memory_worker_pids()
{
	local i pid good pids

	for ((i = 0; i < 100; i++)); do
		read -r -a pids <<<"$(bench_stack_worker_pids)"
		good=0
		for pid in "${pids[@]}"; do
			[[ $(cat "/proc/$pid/comm" 2>/dev/null) == pfo3-workerd ]] &&
			    good=$((good + 1))
		done
		((good == 3)) && { echo "${pids[*]}"; return 0; }
		sleep 0.1
	done
	bench_die "the stack does not run 3 workers (pids: ${pids[*]})"
}

# Prints the pid of pfo3-ctld's child pfo3-ctld-deps (waits up to 10 s
# for it: pfo3-ctld starts it again when it dies).
bench_memory_ctld_deps()
{
	local i pid

	for ((i = 0; i < 100; i++)); do
		for pid in $(bench_children "$(pid_get ctld)"); do
			[[ $(cat "/proc/$pid/comm" 2>/dev/null) == pfo3-ctld-deps ]] &&
			    { echo "$pid"; return 0; }
		done
		sleep 0.1
	done
	bench_die "pfo3-ctld runs no pfo3-ctld-deps"
}

# A tiny PNG (64x48, a gradient) at $1, made without an imaging library.
bench_memory_png()
{
	python3 - "$1" <<-'PY'
	import struct, sys, zlib
	w, h = 64, 48
	raw = b"".join(b"\0" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128))
	               for x in range(w)) for y in range(h))
	def chunk(kind, data):
	    return struct.pack(">I", len(data)) + kind + data + \
	        struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
	open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" +
	    chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
	    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
	PY
}

bench_section_memory()
{
	local i pids token id

	MEMORY_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	declare -gA MEM_ROW MEM_LIBS
	MEM_ORDER=()

	# Every worker talks to each dependency at least once: logins
	# (PostgreSQL), uploads (S3, and the job queue on RabbitMQ), lists.
	bench_user 1 memory
	token=$(bench_token 1 memory)
	for ((i = 0; i < 9; i++)); do
		bench_files_probe "$token"
		bench_api GET /api/v1/files "" 200 "$token" >/dev/null
	done
	bench_memory_nginx
	sleep "$BENCH_MEMORY_REST"
	read -r -a pids <<<"$(bench_memory_worker_pids)"

	for i in 1 2 3; do
		MEM_LIBS["w$i idle"]=$(bench_memory_libs "${pids[i - 1]}")
	done
	bench_memory_record worker "${pids[@]}"
	bench_memory_record ctld "$(pid_get ctld)"
	bench_memory_record ctld-deps "$(bench_memory_ctld_deps)"
	bench_memory_record "nginx worker" "$MEM_NGINX_WORKER"

	# One thumbnail job: one worker loads the thumbnail module.
	mkdir -p "$BENCH_TMP/memory"
	bench_memory_png "$BENCH_TMP/memory/memory.png"
	id=$(python3 "$BENCH_DIR/upload-many.py" "$BENCH_HTTP" "$token" 1 \
	    "$BENCH_TMP/memory/memory.png") || bench_die "the PNG upload failed"
	bench_thumbs_wait "$id" 60
	MEM_THUMB_WORKER=$(bench_sql "SELECT worker FROM jobs WHERE type =
	    'thumbnail' AND (payload->>'file_id')::bigint = $id" 2>/dev/null || true)
	for i in 1 2 3; do
		MEM_LIBS["w$i thumb"]=$(bench_memory_libs "${pids[i - 1]}")
	done
	bench_doc_section memory bench_memory_block
}

# Accepts a rollup label; prints its field N (1 RSS, 2 PSS, 3 anon) in MiB.
bench_memory_mib()
{
	local -a f
	read -r -a f <<<"${MEM_ROW[$1]}"
	awk -v k="${f[$2 - 1]}" 'BEGIN { printf "%.1f", k / 1024 }'
}

# Prints the largest worker's anonymous memory, ctld's, the host set's PSS
# (3 workers + ctld + ctld-deps) and ctld-deps's anonymous memory, in MiB.
bench_memory_goals()
{
	local i w=0 a host=0
	local -a f

	for i in 1 2 3; do
		read -r -a f <<<"${MEM_ROW[worker $i]}"
		((f[2] > w)) && w=${f[2]}
		host=$((host + f[1]))
	done
	read -r -a f <<<"${MEM_ROW[ctld 1]}"
	a=${f[2]}
	host=$((host + f[1]))
	read -r -a f <<<"${MEM_ROW[ctld-deps 1]}"
	host=$((host + f[1]))
	awk -v w="$w" -v a="$a" -v h="$host" -v d="${f[2]}" \
	    'BEGIN { printf "%.1f %.1f %.1f %.1f", w / 1024, a / 1024, h / 1024,
	    d / 1024 }'
}

bench_memory_block()
{
	local key w c h d i
	local -a idle after

	read -r w c h d <<<"$(bench_memory_goals)"
	cat <<-EOF
	## Memory at rest

	| goal | MiB | bound |
	|---|---:|---:|
	| a worker's own memory (\`Anonymous\`, the largest of three) | **$w** | 4 |
	| pfo3-ctld's own memory | **$c** | 1.5 |
	| the host's set: 3 workers + pfo3-ctld + pfo3-ctld-deps, PSS | **$h** | 36 |

	pfo3-ctld's clients of PostgreSQL, S3 and RabbitMQ run in its child
	pfo3-ctld-deps, whose own memory is **$d** MiB: it counts in the host's
	set above.

	| process | RSS MiB | PSS MiB | own (anonymous) MiB |
	|---|---:|---:|---:|
	EOF
	for key in "${MEM_ORDER[@]}"; do
		printf '| %s | %s | %s | %s |\n' "$key" "$(bench_memory_mib "$key" 1)" \
		    "$(bench_memory_mib "$key" 2)" "$(bench_memory_mib "$key" 3)"
	done
	cat <<-EOF

	| worker | libraries mapped at rest | of them renderers' | after a thumbnail job | of them renderers' |
	|---|---:|---|---:|---|
	EOF
	for i in 1 2 3; do
		read -r -a idle <<<"${MEM_LIBS[w$i idle]}"
		read -r -a after <<<"${MEM_LIBS[w$i thumb]}"
		printf '| w%s | %s | %s | %s | %s |\n' "$i" "${idle[0]}" "${idle[1]}" \
		    "${after[0]}" "${after[1]}"
	done
	cat <<-EOF

	The stack of \`bench/run.sh\` (three workers of five threads, pfo3-ctld
	and its pfo3-ctld-deps,
	PostgreSQL, RabbitMQ, S3, HAProxy), started, then warmed by a login and
	nine uploads and file lists through HAProxy (so every worker has talked
	to every dependency), then left at rest ${BENCH_MEMORY_REST} s. Figures from
	\`/proc/PID/smaps_rollup\`: RSS, PSS (each shared page divided among
	the processes mapping it) and \`Anonymous\` (the process's own pages,
	\`RssAnon\`). The nginx worker is one of an nginx of one worker process
	with the http section's configuration, started and served once in the
	same run. Libraries: the distinct \`.so\` files in \`/proc/PID/maps\`;
	"renderers'" names those of libvips, cairo, poppler and librsvg mapped.
	The thumbnail job (one 64x48 PNG uploaded) ran on worker
	${MEM_THUMB_WORKER:-?}: it loads the thumbnail module (libvips) there only.

	$(bench_doc_machine "$MEMORY_LOADAVG")
	EOF
}
