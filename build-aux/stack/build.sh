# shellcheck shell=bash
# build.sh: out-of-tree Autotools builds (build/ for `up`, build-test/,
# build-asan/, build-tsan/ for `test`).

# build_autogen: runs ./autogen.sh when configure is missing or older than
# configure.ac or Makefile.am. A lock on configure.ac keeps a concurrent
# `./stack up` and `./stack test` from regenerating at the same time.
build_autogen()
{
	local lock
	exec {lock}<"$SRCDIR/configure.ac"
	flock "$lock"
	if [[ ! -x $SRCDIR/configure ||
		$SRCDIR/configure.ac -nt $SRCDIR/configure ||
		$SRCDIR/Makefile.am -nt $SRCDIR/configure ]]; then
		say "running ./autogen.sh"
		if ! "$SRCDIR/autogen.sh"; then
			exec {lock}<&-
			die "./autogen.sh failed"
		fi
	fi
	exec {lock}<&-
}

# build_configure DIR FLAGS...: configures DIR from the source tree unless it
# already is, with exactly FLAGS.
build_configure()
{
	local dir=$1 have want
	shift
	mkdir -p "$dir"
	want="$*"
	if [[ -f $dir/Makefile && -x $dir/config.status ]]; then
		# config.status --config prints the flags quoted, one space apart.
		have=$(cd "$dir" && ./config.status --config | tr -d "'")
		[[ $have == "$want" ]] && return 0
		say "reconfiguring $dir (flags were '$have', now '$want')"
	else
		say "configuring $dir${want:+ ($want)}"
	fi
	(cd "$dir" && "$SRCDIR/configure" "$@") ||
		die "configure failed in $dir (see $dir/config.log)"
}

# build_make DIR [TARGETS...]: builds DIR on two jobs.
build_make()
{
	local dir=$1
	shift
	say "building in $dir"
	make -C "$dir" -j2 "$@" || die "the build failed in $dir (output above)"
}

# build_all DIR FLAGS...: autogen, configure and make.
build_all()
{
	local dir=$1
	shift
	build_autogen
	build_configure "$dir" "$@"
	build_make "$dir"
}
