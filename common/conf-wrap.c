/*
 * conf-wrap.c — notices an integer that libconfig wrapped to 32 bits, by
 * reading the number again as it is written in the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-int.h"
#include "xmalloc.h"

/* Lines after a setting's name searched for its value (see below). */
#define CONF_LITERAL_LINES	32

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
 * back from the source text, starting at `target`, the line where the
 * setting `name` (NULL for none) begins in `file`, and compare.
 * Returns -1 (with the literal in `lit`) when every "name = literal" found
 * on that line disagrees with `value`; 0 when one agrees or none is found.
 */
int
conf_literal_wrapped(const char *file, const char *name, unsigned int target,
    int64_t value, char *lit, size_t litlen)
{
	FILE		*f;
	char		*text = NULL;
	const char	*p, *q;
	size_t		 len = 0, cap = 0, nlen, first = 0, used;
	unsigned int	 at = 1;
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
