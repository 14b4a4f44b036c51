# shellcheck shell=bash
# deps.sh: the Debian packages the build, the services and the tests need.

DEPS_PACKAGES=(
	# services
	postgresql rabbitmq-server haproxy nginx python3-aiosmtpd
	# tools the stack and the tests call
	wrk socat poppler-utils tmux curl chromium
	# vips, vipsheader, vipsthumbnail: thumbnail tests and benchmarks
	libvips-tools
	# build
	autoconf automake libtool libtool-bin pkgconf make gcc
	librabbitmq-dev libpq-dev libcurl4-openssl-dev libconfig-dev
	libncurses-dev libjansson-dev libsodium-dev libvips-dev
	libcairo2-dev libpango1.0-dev libevent-dev libssl-dev
	# fuzzing (tests/fuzz/run.sh): clang and its libFuzzer runtime
	clang libclang-rt-14-dev
	# CI's lint of every shell script (.ci/run)
	shellcheck
)

# deps_missing: prints the packages of DEPS_PACKAGES not installed, one a line.
deps_missing()
{
	local p status
	for p in "${DEPS_PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || status=
		[[ $status == installed ]] || printf '%s\n' "$p"
	done
}

# deps_ensure: installs the missing packages as root; as another user, prints
# the one command to run and fails.
deps_ensure()
{
	local missing
	mapfile -t missing < <(deps_missing)
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)); then
		say "missing packages; install them with:"
		printf 'sudo apt-get install %s\n' "${missing[*]}" >&2
		exit 1
	fi
	say "installing ${missing[*]}"
	# A bare machine has no package lists; stale ones fail on moved files.
	# Both are fixed by one update, needed only when installing.
	DEBIAN_FRONTEND=noninteractive apt-get update -q ||
		die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
		die "apt-get install failed"
	mapfile -t missing < <(deps_missing)
	((${#missing[@]} == 0)) || die "still missing after install: ${missing[*]}"
}

# node_ensure: installs the Node tools (S3 server, browser driver) from the
# committed lockfile when node_modules is missing or older than the lockfile.
node_ensure()
{
	local dir=$SRCDIR/build-aux/node
	command -v npm >/dev/null || die "npm not found: Node.js 20 and npm are needed"
	if [[ -f $dir/node_modules/.package-lock.json &&
		! $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
		return 0
	fi
	say "installing Node tools (npm ci in build-aux/node)"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
		die "npm ci failed in $dir"
}
