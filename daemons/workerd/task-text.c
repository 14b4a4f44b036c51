/*
 * task-text.c — the three text operations and sleep (semantics atop
 * task.c).
 *
 * Text is handled one Unicode code point at a time, decoded from UTF-8 here
 * rather than with mbrtowc, whose result depends on the process locale.
 * Case mapping and white space come from a private "C.UTF-8" locale object
 * used through the *_l functions: the daemon's own locale is never touched,
 * and a locale_t is only read after pthread_once has created it, so pool
 * threads share it without locks.  Strings may hold U+0000 (jansson allows
 * "\u0000"), so lengths always come from json_string_length.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wctype.h>

#include <jansson.h>

#include "conf.h"
#include "log.h"
#include "task-ops.h"
#include "xmalloc.h"

static pthread_once_t	 text_once = PTHREAD_ONCE_INIT;
static locale_t		 text_locale;	/* written once, under text_once */

/*
 * Creates the UTF-8 character-class locale.  Without one (a system with no
 * C.UTF-8) the POSIX locale still maps and classifies ASCII.
 */
static void
text_locale_init(void)
{
	static const char *const names[] = {
		"C.UTF-8", "C.utf8", "en_US.UTF-8"
	};
	size_t	i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		text_locale = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
		if (text_locale != (locale_t)0)
			return;
	}
	log_warnx("no UTF-8 locale: mayusculas and contar_palabras see only "
	    "ASCII");
	text_locale = newlocale(LC_CTYPE_MASK, "POSIX", (locale_t)0);
	if (text_locale == (locale_t)0)
		fatal("newlocale POSIX");
}

static locale_t
text_get_locale(void)
{
	pthread_once(&text_once, text_locale_init);
	return text_locale;
}

/*
 * Decodes the code point at s[*i] (len bytes in all) into *cp and advances
 * *i.  Strict UTF-8: no overlong forms, no surrogates, nothing past
 * U+10FFFF.  0, or -1 on a bad sequence.
 */
static int
text_decode(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	uint32_t	c = s[*i], min;
	size_t		n, k;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - *i < n)
		return -1;
	for (k = 1; k < n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[*i + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*i += n;
	return 0;
}

/* Writes `cp` (a valid scalar value) as UTF-8 at p; returns the bytes. */
static size_t
text_encode(uint32_t cp, unsigned char *p)
{
	if (cp < 0x80) {
		p[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (unsigned char)(0xc0 | (cp >> 6));
		p[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (unsigned char)(0xe0 | (cp >> 12));
		p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (unsigned char)(0xf0 | (cp >> 18));
	p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	p[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static char *
text_bad_utf8(void)
{
	return xstrdup("El campo 'texto' no es UTF-8 válido");
}

/*
 * Each code point found at [i, i+n) lands at [len-i-n, len-i): the bytes of
 * one code point keep their order, the code points reverse theirs.
 */
json_t *
task_inverso_texto(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	const unsigned char	*s;
	unsigned char		*out;
	size_t			 len, i, start;
	uint32_t		 cp;
	json_t			*j;

	s = (const unsigned char *)json_string_value(arg[0]);
	len = json_string_length(arg[0]);
	out = xmalloc(len + 1);
	for (i = 0; i < len; ) {
		start = i;
		if (text_decode(s, len, &i, &cp) != 0) {
			free(out);
			*cause = text_bad_utf8();
			return NULL;
		}
		memcpy(out + len - i, s + start, i - start);
	}
	j = json_stringn((const char *)out, len);
	free(out);
	return j;
}

json_t *
task_mayusculas(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	const unsigned char	*s;
	unsigned char		*out;
	size_t			 len, i, used = 0, cap;
	uint32_t		 cp;
	wint_t			 up;
	locale_t		 loc = text_get_locale();
	json_t			*j;

	s = (const unsigned char *)json_string_value(arg[0]);
	len = json_string_length(arg[0]);
	/* A capital may be longer than its small letter (ɐ → Ɐ): grow. */
	cap = len + 16;
	out = xmalloc(cap);
	for (i = 0; i < len; ) {
		if (text_decode(s, len, &i, &cp) != 0) {
			free(out);
			*cause = text_bad_utf8();
			return NULL;
		}
		up = towupper_l((wint_t)cp, loc);
		if (up > 0x10ffff || (up >= 0xd800 && up <= 0xdfff))
			up = cp;	/* not expected; keep the text valid */
		if (cap - used < 4) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
		used += text_encode((uint32_t)up, out + used);
	}
	j = json_stringn((const char *)out, used);
	free(out);
	return j;
}

json_t *
task_contar_palabras(const json_t *const arg[],
    const struct conf_tasks *limits, char **cause)
{
	const unsigned char	*s;
	size_t			 len, i;
	uint32_t		 cp;
	int64_t			 words = 0;
	int			 inword = 0, space;
	locale_t		 loc = text_get_locale();

	s = (const unsigned char *)json_string_value(arg[0]);
	len = json_string_length(arg[0]);
	for (i = 0; i < len; ) {
		if (text_decode(s, len, &i, &cp) != 0) {
			*cause = text_bad_utf8();
			return NULL;
		}
		space = iswspace_l((wint_t)cp, loc) != 0;
		if (!space && !inword)
			words++;
		inword = !space;
	}
	return json_integer(words);
}

/* `ms` as seconds without trailing zeros: 30000 → "30", 1500 → "1.5". */
static char *
text_ms_seconds(int64_t ms)
{
	char	*s;
	size_t	 n;

	if (ms % 1000 == 0)
		return xasprintf("%lld", (long long)(ms / 1000));
	s = xasprintf("%lld.%03lld", (long long)(ms / 1000),
	    (long long)(ms % 1000));
	n = strlen(s);
	while (s[n - 1] == '0')
		s[--n] = '\0';
	return s;
}

/*
 * Sleeps `segundos` (0 to max_sleep ms), resuming after signals, and
 * answers the same number.  The limit is compared in ms: exactly for an
 * integer, in double for a real.
 */
json_t *
task_sleep(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	const json_t	*v = arg[0];
	struct timespec	 ts, rem;
	double		 d = json_number_value(v);
	char		*max;
	int		 over;

	if (d < 0) {
		*cause = xstrdup("segundos fuera de rango (mínimo 0)");
		return NULL;
	}
	if (json_is_integer(v))
		over = (__int128)json_integer_value(v) * 1000 >
		    limits->max_sleep;
	else
		over = d * 1000.0 > (double)limits->max_sleep;
	if (over) {
		max = text_ms_seconds(limits->max_sleep);
		*cause = xasprintf("segundos fuera de rango (máximo %s)", max);
		free(max);
		return NULL;
	}

	if (json_is_integer(v)) {
		ts.tv_sec = (time_t)json_integer_value(v);
		ts.tv_nsec = 0;
	} else {
		ts.tv_sec = (time_t)d;
		ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
		if (ts.tv_nsec > 999999999)
			ts.tv_nsec = 999999999;
	}
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;

	if (json_is_integer(v))
		return json_integer(json_integer_value(v));
	return json_real(d == 0 ? 0.0 : d);	/* -0.0 answers 0.0 */
}
