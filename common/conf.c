/*
 * conf.c — loads pfo3.conf into struct pfo3_conf, checking every setting
 * against conf_options[].
 *
 * libconfig only tokenizes.  Each leaf of the parsed tree is matched by its
 * dotted path against the table, converted, bounds-checked and copied into
 * the struct; the libconfig tree is then thrown away, so readers of the
 * struct never touch libconfig (which is not thread-safe).  Every problem
 * is collected, not only the first, so one edit-and-retry cycle fixes a
 * whole file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "log.h"
#include "xmalloc.h"

/* One converted value, before it is checked and stored. */
struct conf_value {
	int64_t		 num;	/* every type but CONF_STR */
	const char	*str;	/* CONF_STR; not owned */
};

/* Newline-separated error lines, built as they are found. */
struct conf_errors {
	char	*text;
};

/* Lines after a setting's name searched for its value (see below). */
#define CONF_LITERAL_LINES	32
/* Longest names compared for "did you mean". */
#define CONF_SUGGEST_MAX	128

static void
conf_error(struct conf_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends one line to `errs`. */
static void
conf_error(struct conf_errors *errs, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *text;
	int	 len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		fatalx("vsnprintf failed");
	line = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(line, (size_t)len + 1, fmt, ap);
	va_end(ap);
	if (errs->text == NULL)
		errs->text = line;
	else {
		text = xasprintf("%s\n%s", errs->text, line);
		free(errs->text);
		free(line);
		errs->text = text;
	}
}

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
static int
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
static int
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
static void
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
		*(int *)field = v->num != 0;
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

/* Returns 1 when `path` is a group: a proper dotted prefix of some key. */
static int
conf_is_group(const char *path)
{
	const struct conf_option	*opt;
	size_t				 len = strlen(path);

	for (opt = conf_options; opt->name != NULL; opt++) {
		if (strncmp(opt->name, path, len) == 0 && opt->name[len] == '.')
			return 1;
	}
	return 0;
}

/* Levenshtein distance of two short strings; SIZE_MAX if either is long. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t	row[CONF_SUGGEST_MAX + 1], la = strlen(a), lb = strlen(b);
	size_t	i, j, diag, up, best;

	if (la > CONF_SUGGEST_MAX || lb > CONF_SUGGEST_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * Finds the known key (or, with `groups`, the known group) most likely
 * meant by the unknown `path`: the nearest by edit distance if it is close,
 * else a key with the same last component in another group ("threads" →
 * "worker.threads").  Writes it to `buf`; returns 0 when there is none.
 */
static int
conf_suggest(const char *path, int groups, char *buf, size_t len)
{
	const struct conf_option	*opt;
	const char			*last, *dot;
	char				 cand[CONF_SUGGEST_MAX + 1];
	size_t				 d, best = SIZE_MAX, limit, n;

	limit = strlen(path) / 5;
	if (limit < 2)
		limit = 2;
	for (opt = conf_options; opt->name != NULL; opt++) {
		if (!groups) {
			if ((d = conf_distance(path, opt->name)) < best) {
				best = d;
				snprintf(buf, len, "%s", opt->name);
			}
			continue;
		}
		for (dot = strchr(opt->name, '.'); dot != NULL;
		    dot = strchr(dot + 1, '.')) {
			n = dot - opt->name;
			if (n > CONF_SUGGEST_MAX)
				break;
			memcpy(cand, opt->name, n);
			cand[n] = '\0';
			if ((d = conf_distance(path, cand)) < best) {
				best = d;
				snprintf(buf, len, "%s", cand);
			}
		}
	}
	if (best <= limit)
		return 1;
	if (groups)
		return 0;
	last = strrchr(path, '.');
	last = last != NULL ? last + 1 : path;
	for (opt = conf_options; opt->name != NULL; opt++) {
		dot = strrchr(opt->name, '.');
		if (strcmp(dot != NULL ? dot + 1 : opt->name, last) == 0) {
			snprintf(buf, len, "%s", opt->name);
			return 1;
		}
	}
	return 0;
}

/* Builds "unknown key 'x' (did you mean 'y'?)" for `path`. */
static char *
conf_unknown(const char *path, int group)
{
	char	hint[CONF_SUGGEST_MAX + 1];

	if (conf_suggest(path, group, hint, sizeof hint))
		return xasprintf("unknown %s '%s' (did you mean '%s'?)",
		    group ? "group" : "key", path, hint);
	return xasprintf("unknown %s '%s'", group ? "group" : "key", path);
}

/* Names a libconfig setting type for "expected X, got Y". */
static const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "an unknown type";
}

/* Names what a key of `type` accepts in the file. */
static const char *
conf_expected(enum conf_type type)
{
	switch (type) {
	case CONF_STR:
		return "a string";
	case CONF_INT:
		return "an integer";
	case CONF_SIZE:
		return "a size (an integer of bytes or a string such as "
		    "\"64K\")";
	case CONF_DURATION:
		return "a duration (an integer of seconds or a string such as "
		    "\"500ms\")";
	case CONF_BOOL:
		return "a boolean";
	}
	return "a value";
}

/* Skips whitespace and #, // and slash-star comments. */
static const char *
conf_skip_space(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		    *p == '\f')
			p++;
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			if ((p = strstr(p + 2, "*/")) == NULL)
				return "";
			p += 2;
		} else
			return p;
	}
}

/* Reads an integer literal as libconfig writes them (decimal or 0x hex,
 * optional '-').  Returns the characters used, 0 if none; sets *overflow
 * when it does not fit in int64. */
static size_t
conf_read_literal(const char *p, int64_t *out, int *overflow)
{
	const char	*s = p;
	uint64_t	 v = 0, base = 10, digit;
	int		 neg = 0, n = 0;

	*overflow = 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, n++) {
		if (*s >= '0' && *s <= '9')
			digit = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = *s - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - digit) / base)
			*overflow = 1;
		else
			v = v * base + digit;
	}
	if (n == 0)
		return 0;
	if (v > (uint64_t)INT64_MAX + neg)
		*overflow = 1;
	else if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return s - p;
}

/* Returns 1 for the characters libconfig allows in a setting name. */
static int
conf_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '*';
}

/*
 * libconfig 1.5 keeps an integer written without an L suffix in 32 bits
 * and wraps larger ones without a word: 5000000000 reads as 705032704, a
 * plausible size.  The parsed value cannot show this, so read the literal
 * back from the source text, starting at the setting's line, and compare.
 * Returns -1 (with the literal in `lit`) when every "name = literal" found
 * on that line disagrees with `value`; 0 when one agrees or none is found.
 */
static int
conf_literal_wrapped(const config_setting_t *s, const char *file,
    int64_t value, char *lit, size_t litlen)
{
	FILE		*f;
	char		*text = NULL;
	const char	*name = config_setting_name(s), *p, *q;
	size_t		 len = 0, cap = 0, nlen, first = 0, used;
	unsigned int	 target = config_setting_source_line(s), at = 1;
	int64_t		 got;
	int		 ch, overflow, found = 0, agreed = 0;

	if (name == NULL || (f = fopen(file, "r")) == NULL)
		return 0;
	nlen = strlen(name);
	/* Keep lines target .. target + CONF_LITERAL_LINES - 1. */
	while ((ch = fgetc(f)) != EOF && at < target + CONF_LITERAL_LINES) {
		if (at >= target) {
			if (len + 2 > cap) {
				cap = cap == 0 ? 256 : cap * 2;
				text = xrealloc(text, cap);
			}
			text[len++] = ch;
		}
		if (ch == '\n' && at++ == target)
			first = len;
	}
	fclose(f);
	if (text == NULL)
		return 0;
	text[len] = '\0';
	if (first == 0)
		first = len;

	/* The name is on the setting's line; its value may follow later. */
	for (p = text; (p = strstr(p, name)) != NULL; p += nlen) {
		if ((size_t)(p - text) >= first)
			break;
		if ((p != text && conf_name_char(p[-1])) ||
		    conf_name_char(p[nlen]))
			continue;
		q = conf_skip_space(p + nlen);
		if (*q != '=' && *q != ':')
			continue;
		q = conf_skip_space(q + 1);
		if ((used = conf_read_literal(q, &got, &overflow)) == 0)
			continue;
		found = 1;
		if (!overflow && got == value) {
			agreed = 1;
			break;
		}
		snprintf(lit, litlen, "%.*s", (int)used, q);
	}
	free(text);
	return found && !agreed ? -1 : 0;
}

/*
 * Converts one leaf of the file for `opt`, checks and stores it, or appends
 * an error "file:line: message" to `errs`.
 */
static void
conf_leaf(struct pfo3_conf *c, const struct conf_option *opt,
    const config_setting_t *s, const char *file, struct conf_errors *errs)
{
	struct conf_value	 v = { 0, NULL };
	int			 type = config_setting_type(s), line, numeric;
	char			*cause = NULL, lit[64];

	line = config_setting_source_line(s);
	numeric = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;

	if (type == CONFIG_TYPE_STRING && opt->type != CONF_INT) {
		if (conf_parse_text(opt, config_setting_get_string(s), &v,
		    &cause) != 0)
			goto error;
	} else if (numeric && opt->type != CONF_STR && opt->type != CONF_BOOL) {
		v.num = config_setting_get_int64(s);
		if (type == CONFIG_TYPE_INT &&
		    conf_literal_wrapped(s, file, v.num, lit, sizeof lit)) {
			cause = xasprintf("%s: %s is too large for a plain "
			    "integer (32 bits); %s", opt->name, lit,
			    opt->type == CONF_INT ? "append L" :
			    "write a string with a unit or append L");
			goto error;
		}
		if (opt->type == CONF_DURATION) {
			/* Plain numbers are seconds. */
			if (v.num > INT64_MAX / 1000 ||
			    v.num < INT64_MIN / 1000) {
				cause = xasprintf("%s: %lld seconds is too "
				    "large", opt->name, (long long)v.num);
				goto error;
			}
			v.num *= 1000;
		}
	} else if (type == CONFIG_TYPE_BOOL && opt->type == CONF_BOOL)
		v.num = config_setting_get_bool(s);
	else {
		cause = xasprintf("%s: expected %s, got %s", opt->name,
		    conf_expected(opt->type), conf_type_name(type));
		goto error;
	}
	if (conf_check(opt, &v, &cause) != 0)
		goto error;
	conf_store(c, opt, &v);
	return;

error:
	conf_error(errs, "%s:%d: %s", file, line, cause);
	free(cause);
}

/*
 * Walks the settings of `group` (whose dotted path is `prefix`, NULL for
 * the root), storing known keys and reporting everything else.
 */
static void
conf_walk(struct pfo3_conf *c, const config_setting_t *group,
    const char *prefix, const char *path, struct conf_errors *errs)
{
	const struct conf_option	*opt;
	config_setting_t		*s;
	const char			*file;
	char				*key, *msg;
	int				 i, n, line, isgroup;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, i);
		if (prefix != NULL)
			key = xasprintf("%s.%s", prefix,
			    config_setting_name(s));
		else
			key = xstrdup(config_setting_name(s));
		/* Settings from an @include name their own file. */
		if ((file = config_setting_source_file(s)) == NULL)
			file = path;
		line = config_setting_source_line(s);
		isgroup = config_setting_type(s) == CONFIG_TYPE_GROUP;

		if ((opt = conf_find(key)) != NULL)
			conf_leaf(c, opt, s, file, errs);
		else if (conf_is_group(key) && isgroup)
			conf_walk(c, s, key, path, errs);
		else if (conf_is_group(key)) {
			conf_error(errs, "%s:%d: %s: expected a group "
			    "(%s = { ... };), got %s", file, line, key, key,
			    conf_type_name(config_setting_type(s)));
		} else {
			msg = conf_unknown(key, isgroup);
			conf_error(errs, "%s:%d: %s", file, line, msg);
			free(msg);
		}
		free(key);
	}
}

/*
 * Reads the libconfig file `path` over the current values of `c`.  Every
 * error is reported in *cause, one "file:line: message" per line; keys that
 * were valid are stored even then, the others keep their old values.
 */
int
conf_load(struct pfo3_conf *c, const char *path, char **cause)
{
	config_t		 cfg;
	struct conf_errors	 errs = { NULL };
	struct stat		 sb;
	FILE			*f;
	const char		*file;

	/* libconfig reports a missing file without its name or errno. */
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("%s: cannot open: %s", path,
		    strerror(EISDIR));
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	fclose(f);

	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			*cause = xasprintf("%s: cannot read file", path);
		else {
			if ((file = config_error_file(&cfg)) == NULL)
				file = path;
			*cause = xasprintf("%s:%d: %s", file,
			    config_error_line(&cfg), config_error_text(&cfg));
		}
		config_destroy(&cfg);
		return -1;
	}
	conf_walk(c, config_root_setting(&cfg), NULL, path, &errs);
	config_destroy(&cfg);
	if (errs.text != NULL) {
		*cause = errs.text;
		return -1;
	}
	return 0;
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
