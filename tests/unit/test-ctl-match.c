/*
 * test-ctl-match.c — the one rule for naming a command by shortened
 * words (ctl-match.h): a whole word beats the longer words it begins, a
 * command naming more words beats one taking them as arguments, a tie is
 * ambiguous and says which names tie; and the same rule through
 * pfo3-ctld's table (ctl_table_lookup), so pfo3ctl and the wire agree.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl-match.h"
#include "tap.h"

#define N(a)	((int)(sizeof (a) / sizeof (a)[0]))

/* Splits `typed` at spaces and finds it among `names`. */
static int
find(const char *const *names, int n, const char *typed,
    enum ctl_match_mode mode, unsigned char *tie)
{
	char	*copy = strdup(typed), *words[8], *p;
	int	 nwords = 0, r;

	for (p = strtok(copy, " "); p != NULL && nwords < 8;
	    p = strtok(NULL, " "))
		words[nwords++] = p;
	r = ctl_match_find(names, n, words, nwords, mode, tie);
	free(copy);
	return r;
}

static void
test_find(void)
{
	static const char *const ctld[] = { "status", "stats", "shutdown",
	    "watch", "worker.add", "worker.drain", "worker.resume",
	    "worker.remove" };
	static const char *const both[] = { "status", "stat" };
	static const char *const deep[] = { "stat.xyz", "status.xyz" };
	static const char *const twice[] = { "ping", "ping" };
	unsigned char	 tie[N(ctld)];

	tap_is_int(find(ctld, N(ctld), "status", CTL_MATCH_ALL, NULL), 0,
	    "a whole name");
	tap_is_int(find(both, N(both), "stat", CTL_MATCH_ALL, NULL), 1,
	    "an exact match wins over the longer name it begins");
	tap_is_int(find(both, N(both), "stat", CTL_MATCH_ARGS, NULL), 1,
	    "... also when words may be arguments");
	tap_is_int(find(deep, N(deep), "stat xy", CTL_MATCH_ALL, NULL), 0,
	    "a whole word beats a shortened one at any place");
	tap_is_int(find(ctld, N(ctld), "sh", CTL_MATCH_ALL, NULL), 2,
	    "a unique prefix");
	memset(tie, 0, sizeof tie);
	tap_is_int(find(ctld, N(ctld), "s", CTL_MATCH_ALL, tie),
	    CTL_MATCH_AMBIGUOUS, "an ambiguous prefix is reported");
	tap_ok(tie[0] && tie[1] && tie[2] && !tie[3] && !tie[4],
	    "... marking status, stats and shutdown, nothing else");
	tap_is_int(find(ctld, N(ctld), "stat", CTL_MATCH_ALL, tie),
	    CTL_MATCH_AMBIGUOUS, "'stat' shortens status and stats alike");
	tap_is_int(find(ctld, N(ctld), "w d w2", CTL_MATCH_ARGS, NULL), 5,
	    "'w d w2' is worker.drain with an argument, not watch with two");
	tap_is_int(find(ctld, N(ctld), "w d", CTL_MATCH_ALL, NULL), 5,
	    "'w d' with all words naming: worker.drain");
	tap_is_int(find(ctld, N(ctld), "w", CTL_MATCH_ALL, NULL), 3,
	    "'w' alone with all words naming: watch (one word)");
	memset(tie, 0, sizeof tie);
	tap_is_int(find(ctld, N(ctld), "w re w2", CTL_MATCH_ARGS, tie),
	    CTL_MATCH_AMBIGUOUS, "'w re w2': resume or remove");
	tap_ok(tie[6] && tie[7] && !tie[5], "... marking those two");
	tap_is_int(find(ctld, N(ctld), "frob", CTL_MATCH_ARGS, NULL),
	    CTL_MATCH_NONE, "an unknown word names nothing");
	tap_is_int(find(ctld, N(ctld), "worker.drain.now", CTL_MATCH_ALL,
	    NULL), CTL_MATCH_NONE, "a dotted word is not split here");
	tap_is_int(find(twice, N(twice), "p", CTL_MATCH_ALL, NULL), 0,
	    "a name listed twice is no tie");
	tap_is_int(ctl_match_prefixes("worker.drain", (char *[]){ "wo",
	    "" }, 2), 0, "an empty word is no prefix");
}

static void
test_split(void)
{
	char	**w;
	int	  n;

	w = ctl_match_split("worker.drain", &n);
	tap_ok(n == 2 && !strcmp(w[0], "worker") && !strcmp(w[1], "drain"),
	    "worker.drain: two words");
	ctl_match_free(w, n);
	w = ctl_match_split("a..b", &n);
	tap_ok(n == 3 && *w[1] == '\0', "a..b: the empty word is kept");
	ctl_match_free(w, n);
	tap_is_int(ctl_match_nwords("a.b.c"), 3, "a.b.c has 3 words");
}

static void
nop(struct ctl_call *c)
{
	(void)c;
}

static void
is_lookup(const struct ctl_command *table, const char *name,
    const char *want, const char *want_cause)
{
	const struct ctl_command	*cmd;
	char				*cause = NULL;

	cmd = ctl_table_lookup(table, name, &cause);
	if (want != NULL)
		tap_ok(cmd != NULL && !strcmp(cmd->name, want),
		    "'%s' on the wire is %s", name, want);
	else
		tap_is_str(cause, want_cause, "'%s' on the wire: refused", name);
	free(cause);
}

static void
test_table(void)
{
	static const struct ctl_command table[] = {
		{ "stat", "", 0, 0, CTL_READ, "", nop },
		{ "status", "", 0, 0, CTL_READ, "", nop },
		{ "stat.xyz", "", 0, 0, CTL_READ, "", nop },
		{ "status.xyz", "", 0, 0, CTL_READ, "", nop },
		{ "shutdown", "", 0, 0, CTL_ADMIN, "", nop },
		{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
	};

	is_lookup(table, "stat", "stat", NULL);
	is_lookup(table, "stat.xy", "stat.xyz", NULL);
	is_lookup(table, "sh", "shutdown", NULL);
	is_lookup(table, "s", NULL, "ambiguous command 's': could be stat, "
	    "status, shutdown");
	is_lookup(table, "sta.x", NULL, "ambiguous command 'sta.x': could "
	    "be stat.xyz, status.xyz");
}

int
main(void)
{
	test_find();
	test_split();
	test_table();
	return tap_done();
}
