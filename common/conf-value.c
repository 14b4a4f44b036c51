/*
 * conf-value.c — the text forms of configuration values: sizes ("64K"),
 * durations ("500ms"), integers and booleans.  The file, the command line
 * and the control protocol all parse through here, so "1G" means the same
 * thing everywhere.  Parsing is strict: the whole string must match, no
 * whitespace, no signs where they make no sense, overflow is an error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "xmalloc.h"

/*
 * Reads the run of decimal digits at the start of `text` into *out.
 * Returns the number of digits read (0 when there are none) or -1 when the
 * value exceeds INT64_MAX.
 */
static int
conf_value_digits(const char *text, int64_t *out)
{
	int64_t	v = 0;
	int	n = 0;

	while (text[n] >= '0' && text[n] <= '9') {
		if (v > (INT64_MAX - (text[n] - '0')) / 10)
			return -1;
		v = v * 10 + (text[n] - '0');
		n++;
	}
	*out = v;
	return n;
}

/*
 * Accepts "512", "64K", "100M", "1G", "2T", optionally followed by "B"
 * ("64KB", "512B"); the unit letter is case-insensitive and units are
 * powers of 1024.  Stores bytes in *out.
 */
int
conf_parse_size(const char *text, int64_t *out, char **cause)
{
	int64_t		 v, mult = 1;
	const char	*p;
	int		 n;

	if ((n = conf_value_digits(text, &v)) == -1)
		goto toolarge;
	if (n == 0)
		goto invalid;
	p = text + n;
	switch (tolower((unsigned char)*p)) {
	case 'k':
		mult = INT64_C(1) << 10;
		p++;
		break;
	case 'm':
		mult = INT64_C(1) << 20;
		p++;
		break;
	case 'g':
		mult = INT64_C(1) << 30;
		p++;
		break;
	case 't':
		mult = INT64_C(1) << 40;
		p++;
		break;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0')
		goto invalid;
	if (v > INT64_MAX / mult)
		goto toolarge;
	*out = v * mult;
	return 0;

invalid:
	*cause = xasprintf("invalid size \"%s\" (expected bytes, optionally "
	    "with a K, M, G or T suffix, as in \"64K\")", text);
	return -1;
toolarge:
	*cause = xasprintf("size \"%s\" is too large", text);
	return -1;
}

/*
 * Accepts a plain integer of seconds ("30") or an integer followed by one
 * of the lowercase units ms, s, m, h ("500ms", "10s", "2m", "1h").  Stores
 * milliseconds in *out_ms.
 */
int
conf_parse_duration(const char *text, int64_t *out_ms, char **cause)
{
	int64_t		 v, mult;
	const char	*p;
	int		 n;

	if ((n = conf_value_digits(text, &v)) == -1)
		goto toolarge;
	if (n == 0)
		goto invalid;
	p = text + n;
	if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (*p == '\0' || strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		mult = 3600 * 1000;
	else
		goto invalid;
	if (v > INT64_MAX / mult)
		goto toolarge;
	*out_ms = v * mult;
	return 0;

invalid:
	*cause = xasprintf("invalid duration \"%s\" (expected seconds, or a "
	    "number with a ms, s, m or h suffix, as in \"500ms\")", text);
	return -1;
toolarge:
	*cause = xasprintf("duration \"%s\" is too large", text);
	return -1;
}

/*
 * Accepts a decimal integer with an optional leading '-' or '+' and nothing
 * else: no whitespace, no trailing characters, no hexadecimal.
 */
int
conf_parse_int(const char *text, int64_t *out, char **cause)
{
	char		*end;
	long long	 v;

	/* strtoll would skip leading whitespace and take "0x10" as 0. */
	if (*text != '-' && *text != '+' && !isdigit((unsigned char)*text))
		goto invalid;
	if ((*text == '-' || *text == '+') &&
	    !isdigit((unsigned char)text[1]))
		goto invalid;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end != '\0')
		goto invalid;
	if (errno == ERANGE) {
		*cause = xasprintf("integer \"%s\" is out of range", text);
		return -1;
	}
	*out = v;
	return 0;

invalid:
	*cause = xasprintf("invalid integer \"%s\"", text);
	return -1;
}

/*
 * Accepts true/false, yes/no, on/off, 1/0, in any case.  Stores 1 or 0.
 */
int
conf_parse_bool(const char *text, int *out, char **cause)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t	i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	*cause = xasprintf("invalid boolean \"%s\" (expected true or false, "
	    "yes or no, on or off, 1 or 0)", text);
	return -1;
}

char *
conf_expand_id(const char *tmpl, const char *id)
{
	size_t len = 0, idlen = strlen(id);
	const char *p;
	char *out, *q;

	for (p = tmpl; *p != '\0'; p++)
		len += (p[0] == '%' && p[1] == 'i') ? (p++, idlen) : 1;
	out = q = xmalloc(len + 1);
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'i') {
			memcpy(q, id, idlen);
			q += idlen;
			p++;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return out;
}
