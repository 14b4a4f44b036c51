/*
 * conf.c — the options of struct pfo3_conf, one at a time: defaults,
 * conversion of a value written as text, bounds checks, storing, lookup by
 * name and freeing.  Everything here works from conf_options[] alone and
 * never touches libconfig; reading the file is conf-load.c's job, and it
 * goes through the same check and store as conf_set so a value means the
 * same from the file and from the command line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf-int.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Writes `v`, a value of `type`, the way a user would: sizes and durations
 * in the largest unit that divides them exactly ("1M", "100ms"), so bounds
 * in messages read like the file.
 */
static void
conf_format(enum conf_type type, int64_t v, char *buf, size_t len)
{
	static const struct {
		int64_t		 mult;
		const char	*unit;
	} sizes[] = {
		{ INT64_C(1) << 40, "T" }, { INT64_C(1) << 30, "G" },
		{ INT64_C(1) << 20, "M" }, { INT64_C(1) << 10, "K" },
		{ 1, "" },
	}, durations[] = {
		{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" },
	};
	size_t	i;

	if (v != 0 && type == CONF_SIZE) {
		for (i = 0; sizes[i].mult != 1 && v % sizes[i].mult != 0; i++)
			;
		snprintf(buf, len, "%lld%s", (long long)(v / sizes[i].mult),
		    sizes[i].unit);
	} else if (v != 0 && type == CONF_DURATION) {
		for (i = 0; durations[i].mult != 1 &&
		    v % durations[i].mult != 0; i++)
			;
		snprintf(buf, len, "%lld%s",
		    (long long)(v / durations[i].mult), durations[i].unit);
	} else
		snprintf(buf, len, "%lld", (long long)v);
}

/* Returns 1 when `text` is one of the '|'-separated words of `choices`. */
static int
conf_choice(const char *choices, const char *text)
{
	const char	*p = choices, *end;
	size_t		 len = strlen(text);

	for (;;) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && strncmp(p, text, len) == 0)
			return 1;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

/*
 * Checks a converted value against the bounds (and choices) of `opt`.
 * On failure returns -1 with *cause naming the key and the allowed range.
 */
int
conf_check(const struct conf_option *opt, const struct conf_value *v,
    char **cause)
{
	char	got[32], lo[32], hi[32];
	size_t	len;

	if (opt->type == CONF_STR) {
		if (opt->choices != NULL &&
		    !conf_choice(opt->choices, v->str)) {
			*cause = xasprintf("%s: \"%s\" is not one of %s",
			    opt->name, v->str, opt->choices);
			return -1;
		}
		len = strlen(v->str);
		if ((int64_t)len < opt->min || (int64_t)len > opt->max) {
			*cause = xasprintf("%s: length %zu is out of range "
			    "(%lld..%lld characters)", opt->name, len,
			    (long long)opt->min, (long long)opt->max);
			return -1;
		}
		return 0;
	}
	if (opt->type == CONF_BOOL)
		return 0;
	if (v->num < opt->min || v->num > opt->max) {
		conf_format(opt->type, v->num, got, sizeof got);
		conf_format(opt->type, opt->min, lo, sizeof lo);
		conf_format(opt->type, opt->max, hi, sizeof hi);
		*cause = xasprintf("%s: %s is out of range (%s..%s)", opt->name,
		    got, lo, hi);
		return -1;
	}
	return 0;
}

/* Converts `text` by the type of `opt`, as written on a command line. */
int
conf_parse_text(const struct conf_option *opt, const char *text,
    struct conf_value *v, char **cause)
{
	char	*msg = NULL;
	int	 b, rc = 0;

	v->str = NULL;
	v->num = 0;
	switch (opt->type) {
	case CONF_STR:
		v->str = text;
		break;
	case CONF_INT:
		rc = conf_parse_int(text, &v->num, &msg);
		break;
	case CONF_SIZE:
		rc = conf_parse_size(text, &v->num, &msg);
		break;
	case CONF_DURATION:
		rc = conf_parse_duration(text, &v->num, &msg);
		break;
	case CONF_BOOL:
		if ((rc = conf_parse_bool(text, &b, &msg)) == 0)
			v->num = b;
		break;
	}
	if (rc != 0) {
		*cause = xasprintf("%s: %s", opt->name, msg);
		free(msg);
		return -1;
	}
	return 0;
}

/* Copies a checked value into `c`; strings are duplicated. */
void
conf_store(struct pfo3_conf *c, const struct conf_option *opt,
    const struct conf_value *v)
{
	void	*field = (char *)c + opt->offset;
	char	**sp;

	switch (opt->type) {
	case CONF_STR:
		sp = field;
		free(*sp);
		*sp = xstrdup(v->str);
		break;
	case CONF_INT:
	case CONF_SIZE:
	case CONF_DURATION:
		*(int64_t *)field = v->num;
		break;
	case CONF_BOOL:
		*(int64_t *)field = v->num != 0;
		break;
	}
}

/*
 * Fills `c` with the defaults of conf_options[].  `c` is overwritten, not
 * freed: call conf_free first when it already holds a configuration.
 */
void
conf_defaults(struct pfo3_conf *c)
{
	const struct conf_option	*opt;
	struct conf_value		 v;
	char				*cause;

	memset(c, 0, sizeof *c);
	for (opt = conf_options; opt->name != NULL; opt++) {
		/* A bad default is a bug in conf-table.c, caught by tests. */
		if (conf_parse_text(opt, opt->def, &v, &cause) != 0 ||
		    conf_check(opt, &v, &cause) != 0)
			fatalx("default of %s: %s", opt->name, cause);
		conf_store(c, opt, &v);
	}
}

/* Frees the strings of `c` and leaves NULL in their place. */
void
conf_free(struct pfo3_conf *c)
{
	const struct conf_option	*opt;
	char				**sp;

	for (opt = conf_options; opt->name != NULL; opt++) {
		if (opt->type != CONF_STR)
			continue;
		sp = (char **)((char *)c + opt->offset);
		free(*sp);
		*sp = NULL;
	}
}

/* Accepts a full dotted name ("worker.threads"). */
const struct conf_option *
conf_find(const char *name)
{
	const struct conf_option	*opt;

	for (opt = conf_options; opt->name != NULL; opt++) {
		if (strcmp(opt->name, name) == 0)
			return opt;
	}
	return NULL;
}

/*
 * Sets the option `name` from `value` as text ("worker.threads", "8"),
 * with the parsing and bounds of the file.
 */
int
conf_set(struct pfo3_conf *c, const char *name, const char *value,
    char **cause)
{
	const struct conf_option	*opt;
	struct conf_value		 v;

	if ((opt = conf_find(name)) == NULL) {
		*cause = conf_unknown(name, 0);
		return -1;
	}
	if (conf_parse_text(opt, value, &v, cause) != 0 ||
	    conf_check(opt, &v, cause) != 0)
		return -1;
	conf_store(c, opt, &v);
	return 0;
}
