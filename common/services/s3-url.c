/*
 * s3-url.c — canonical request URLs, key checks and the little XML the S3
 * client reads and writes.
 *
 * libcurl 7.88 signs the URL exactly as it is given, so the URL must
 * already be in SigV4 canonical form: every byte of the path but the
 * unreserved set and '/' percent-encoded in uppercase, query parameters
 * sorted by name, and an empty value written `name=`.
 */
#include <stdlib.h>
#include <string.h>

#include "s3-int.h"
#include "xmalloc.h"

void
s3_buf_add(struct s3_buf *b, const void *data, size_t len)
{
	size_t	 want;

	if (b->max != 0 && b->len + len > b->max)
		len = b->len < b->max ? b->max - b->len : 0;
	want = b->len + len + 1;
	if (b->data == NULL || want > b->size) {
		b->size = b->size == 0 ? 64 : b->size;
		while (b->size < want)
			b->size *= 2;
		b->data = xrealloc(b->data, b->size);
	}
	if (len != 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
s3_buf_addstr(struct s3_buf *b, const char *s)
{
	s3_buf_add(b, s, strlen(s));
}

void
s3_buf_free(struct s3_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

int
s3_key_check(const char *key, char **cause)
{
	const char	*seg, *end;
	size_t		 len;

	if (key == NULL || *key == '\0') {
		*cause = xstrdup("empty S3 key");
		return -1;
	}
	if (strlen(key) > S3_KEY_MAX) {
		*cause = xasprintf("S3 key longer than %d bytes", S3_KEY_MAX);
		return -1;
	}
	for (end = key; *end != '\0'; end++) {
		if ((unsigned char)*end < 0x20 || *end == 0x7f) {
			*cause = xstrdup("S3 key with a control character");
			return -1;
		}
	}
	/*
	 * "." and ".." would be folded away by URL normalisation somewhere
	 * between here and the store; empty segments are never made by our
	 * callers and usually mean a missing id.
	 */
	for (seg = key;; seg = end + 1) {
		end = strchr(seg, '/');
		len = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.')) {
			*cause = xasprintf("bad S3 key \"%s\": empty, \".\" or "
			    "\"..\" segment", key);
			return -1;
		}
		if (end == NULL)
			break;
	}
	return 0;
}

void
s3_encode(struct s3_buf *b, const char *s, int keep_slash)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	char			 out[3];

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep_slash && c == '/')) {
			s3_buf_add(b, s, 1);
			continue;
		}
		out[0] = '%';
		out[1] = hex[c >> 4];
		out[2] = hex[c & 0xf];
		s3_buf_add(b, out, 3);
	}
}

static int
s3_param_cmp(const void *a, const void *b)
{
	const struct s3_param	*pa = a, *pb = b;

	return strcmp(pa->name, pb->name);
}

char *
s3_url(const char *base, const char *bucket, int path_style, const char *key,
    const struct s3_param *params, int nparams)
{
	struct s3_buf		 b = { 0 };
	struct s3_param		*sorted;
	int			 i;

	s3_buf_addstr(&b, base);
	if (path_style) {
		s3_buf_addstr(&b, "/");
		s3_encode(&b, bucket, 0);
	}
	if (key != NULL) {
		s3_buf_addstr(&b, "/");
		s3_encode(&b, key, 1);
	} else if (!path_style)
		s3_buf_addstr(&b, "/");

	if (nparams > 0) {
		/* Names are ASCII letters, so raw order is encoded order. */
		sorted = xreallocarray(NULL, nparams, sizeof *sorted);
		memcpy(sorted, params, nparams * sizeof *sorted);
		qsort(sorted, nparams, sizeof *sorted, s3_param_cmp);
		for (i = 0; i < nparams; i++) {
			s3_buf_addstr(&b, i == 0 ? "?" : "&");
			s3_encode(&b, sorted[i].name, 0);
			s3_buf_addstr(&b, "=");
			s3_encode(&b, sorted[i].value, 0);
		}
		free(sorted);
	}
	return b.data;
}

/* True for "1.2.3.4", "[::1]" and other literal addresses (no labels). */
static int
s3_host_is_address(const char *host, size_t len)
{
	size_t	 i;

	if (len > 0 && host[0] == '[')
		return 1;
	for (i = 0; i < len; i++) {
		if ((host[i] < '0' || host[i] > '9') && host[i] != '.')
			return 0;
	}
	return 1;
}

char *
s3_base(const char *endpoint, const char *bucket, int path_style,
    char **cause)
{
	const char	*scheme, *host, *end, *colon;
	size_t		 hostlen;

	if (endpoint == NULL) {
		*cause = xstrdup("S3 endpoint is empty");
		return NULL;
	}
	if (strncmp(endpoint, "http://", 7) == 0) {
		scheme = "http://";
		host = endpoint + 7;
	} else if (strncmp(endpoint, "https://", 8) == 0) {
		scheme = "https://";
		host = endpoint + 8;
	} else {
		*cause = xasprintf("S3 endpoint \"%s\": not http:// or "
		    "https://", endpoint);
		return NULL;
	}
	end = host + strcspn(host, "/?#@");
	if (end == host || (*end != '\0' && strcmp(end, "/") != 0)) {
		*cause = xasprintf("S3 endpoint \"%s\": want "
		    "http(s)://host[:port] with no path", endpoint);
		return NULL;
	}
	if (bucket == NULL || *bucket == '\0') {
		*cause = xstrdup("S3 bucket is empty");
		return NULL;
	}
	if (path_style)
		return xasprintf("%s%.*s", scheme, (int)(end - host), host);

	/* The bucket becomes a DNS label in front of the host. */
	if (strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
	    strlen(bucket)) {
		*cause = xasprintf("S3 bucket \"%s\" cannot be a host name: "
		    "use path-style requests", bucket);
		return NULL;
	}
	colon = host[0] == '[' ? NULL : memchr(host, ':', end - host);
	hostlen = colon != NULL ? (size_t)(colon - host) : (size_t)(end - host);
	if (s3_host_is_address(host, hostlen)) {
		*cause = xasprintf("S3 endpoint \"%s\" is an address: "
		    "virtual-hosted requests need a host name (set "
		    "s3.path_style)", endpoint);
		return NULL;
	}
	return xasprintf("%s%s.%.*s", scheme, bucket, (int)(end - host), host);
}

/* Decodes the five XML entities and numeric references into `b`. */
static void
s3_xml_decode(struct s3_buf *b, const char *s, size_t len)
{
	static const struct {
		const char	*name;
		char		 c;
	} ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	const char	*end = s + len, *semi;
	unsigned long	 cp;
	char		*ep, out[4];
	size_t		 i, n;

	while (s < end) {
		if (*s != '&') {
			s3_buf_add(b, s, 1);
			s++;
			continue;
		}
		for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
			n = strlen(ents[i].name);
			if ((size_t)(end - s) >= n &&
			    strncmp(s, ents[i].name, n) == 0)
				break;
		}
		if (i < sizeof ents / sizeof ents[0]) {
			s3_buf_add(b, &ents[i].c, 1);
			s += strlen(ents[i].name);
			continue;
		}
		semi = memchr(s, ';', end - s);
		if (semi != NULL && semi - s > 2 && s[1] == '#') {
			if (s[2] == 'x')
				cp = strtoul(s + 3, &ep, 16);
			else
				cp = strtoul(s + 2, &ep, 10);
			if (ep == semi && cp > 0 && cp < 0x110000) {
				/* UTF-8 of the code point. */
				if (cp < 0x80) {
					out[0] = (char)cp;
					n = 1;
				} else if (cp < 0x800) {
					out[0] = (char)(0xc0 | (cp >> 6));
					out[1] = (char)(0x80 | (cp & 0x3f));
					n = 2;
				} else if (cp < 0x10000) {
					out[0] = (char)(0xe0 | (cp >> 12));
					out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
					out[2] = (char)(0x80 | (cp & 0x3f));
					n = 3;
				} else {
					out[0] = (char)(0xf0 | (cp >> 18));
					out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
					out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
					out[3] = (char)(0x80 | (cp & 0x3f));
					n = 4;
				}
				s3_buf_add(b, out, n);
				s = semi + 1;
				continue;
			}
		}
		s3_buf_add(b, s, 1);
		s++;
	}
}

char *
s3_xml_text(const char *xml, const char *name)
{
	struct s3_buf	 b = { 0 };
	char		*open, *close;
	const char	*start, *end;

	if (xml == NULL)
		return NULL;
	open = xasprintf("<%s>", name);
	close = xasprintf("</%s>", name);
	start = strstr(xml, open);
	end = start != NULL ? strstr(start, close) : NULL;
	if (start != NULL && end != NULL) {
		start += strlen(open);
		s3_xml_decode(&b, start, end - start);
		s3_buf_add(&b, "", 0);	/* "" for an empty element */
	}
	free(open);
	free(close);
	return b.data;
}

void
s3_xml_escape(struct s3_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			s3_buf_addstr(b, "&amp;");
			break;
		case '<':
			s3_buf_addstr(b, "&lt;");
			break;
		case '>':
			s3_buf_addstr(b, "&gt;");
			break;
		case '"':
			s3_buf_addstr(b, "&quot;");
			break;
		default:
			s3_buf_add(b, s, 1);
			break;
		}
	}
}
