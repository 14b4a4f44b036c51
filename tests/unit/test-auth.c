/* test-auth.c — session tokens (auth-token.c), reading the Bearer token
 * of a request (auth.c) and the client address behind the load balancer
 * (auth-limit.c), with no database. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth-int.h"
#include "http.h"
#include "router.h"
#include "tap.h"

/* SHA-256 of 32 zero bytes, the token "AAA…A". */
#define ZERO_HASH "\\x66687aadf862bd776c8fc18b8e9f8e20" \
	"089714856ee233b3902a591d0d5f2925"

/* A request from `peer` with up to two headers (NULL: none). */
struct fake {
	struct http_request	http;
	struct request		req;
};

static void
fake_init(struct fake *f, const char *peer, const char *n1, const char *v1,
    const char *n2, const char *v2)
{
	const char *names[2] = { n1, n2 }, *values[2] = { v1, v2 };
	int i;

	memset(f, 0, sizeof *f);
	for (i = 0; i < 2; i++) {
		if (names[i] == NULL)
			continue;
		f->http.headers[f->http.nheaders].name = names[i];
		f->http.headers[f->http.nheaders].name_len = strlen(names[i]);
		f->http.headers[f->http.nheaders].value = values[i];
		f->http.headers[f->http.nheaders].value_len = strlen(values[i]);
		f->http.nheaders++;
	}
	f->req.http = &f->http;
	f->req.peer = peer;
}

static void
test_tokens(void)
{
	char token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_PARAM_LEN];
	char again[AUTH_HASH_PARAM_LEN], other[AUTH_TOKEN_LEN + 1], buf[64];
	size_t i;
	int good = 1;

	auth_token_new(token, hash);
	tap_is_int((long long)strlen(token), AUTH_TOKEN_LEN,
	    "a new token has 43 characters");
	for (i = 0; token[i] != '\0'; i++)
		good &= strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		    "wxyz0123456789-_", token[i]) != NULL;
	tap_ok(good, "a new token is base64url");
	tap_ok(auth_token_hash(token, strlen(token), again) == 0 &&
	    strcmp(hash, again) == 0, "a token read back has the hash it was "
	    "minted with");
	auth_token_new(other, again);
	tap_ok(strcmp(token, other) != 0 && strcmp(hash, again) != 0,
	    "two tokens differ, and so do their hashes");

	memset(buf, 'A', AUTH_TOKEN_LEN);
	tap_is_int(auth_token_hash(buf, AUTH_TOKEN_LEN, hash), 0,
	    "43 'A's are the token of 32 zero bytes");
	tap_is_str(hash, ZERO_HASH, "its hash parameter is \\x and the "
	    "SHA-256 of the bytes, in lowercase hex");
	buf[AUTH_TOKEN_LEN - 1] = 'B';
	tap_is_int(auth_token_hash(buf, AUTH_TOKEN_LEN, hash), -1,
	    "a non-canonical last character is refused");
	buf[AUTH_TOKEN_LEN - 1] = 'A';
	tap_is_int(auth_token_hash(buf, AUTH_TOKEN_LEN - 1, hash), -1,
	    "42 characters are refused");
	buf[AUTH_TOKEN_LEN] = 'A';
	tap_is_int(auth_token_hash(buf, AUTH_TOKEN_LEN + 1, hash), -1,
	    "44 characters are refused");
	buf[5] = '+';
	tap_is_int(auth_token_hash(buf, AUTH_TOKEN_LEN, hash), -1,
	    "the standard alphabet's '+' is refused");
	buf[5] = '=';
	tap_is_int(auth_token_hash(buf, AUTH_TOKEN_LEN, hash), -1,
	    "padding is refused");
}

static void
is_bearer(const char *value, int want, const char *what)
{
	char hash[AUTH_HASH_PARAM_LEN];
	struct fake f;
	int got;

	fake_init(&f, "127.0.0.1:1", value != NULL ? "authorization" : NULL,
	    value, NULL, NULL);
	strcpy(hash, "unset");
	got = auth_request_token(&f.req, hash);
	tap_ok(got == want && (want != 1 || strcmp(hash, ZERO_HASH) == 0),
	    "%s: %d", what, got);
}

static void
test_bearer(void)
{
	static const char t[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char v[128];
	struct request seed;

	memset(&seed, 0, sizeof seed);
	seed.peer = "127.0.0.1:1";
	tap_is_int(auth_request_token(&seed, v), 0,
	    "a seed request (no HTTP) has no token");
	is_bearer(NULL, 0, "no Authorization header");
	snprintf(v, sizeof v, "Bearer %s", t);
	is_bearer(v, 1, "Bearer <token>");
	snprintf(v, sizeof v, "bEARER   %s", t);
	is_bearer(v, 1, "any case of the scheme, several spaces");
	is_bearer("Bearer", -1, "the scheme alone");
	is_bearer("Bearer ", -1, "the scheme and a space");
	snprintf(v, sizeof v, "Bearer%s", t);
	is_bearer(v, -1, "no space after the scheme");
	snprintf(v, sizeof v, "Bearer\t%s", t);
	is_bearer(v, -1, "a tab after the scheme");
	snprintf(v, sizeof v, "Basic %s", t);
	is_bearer(v, -1, "another scheme");
	snprintf(v, sizeof v, "Bearer %s x", t);
	is_bearer(v, -1, "something after the token");
	snprintf(v, sizeof v, "Bearerx %s", t);
	is_bearer(v, -1, "a longer scheme name");
}

static void
is_client(const char *peer, const char *n1, const char *v1, const char *n2,
    const char *v2, const char *want, const char *what)
{
	char buf[64];
	struct fake f;

	fake_init(&f, peer, n1, v1, n2, v2);
	auth_client_addr(&f.req, buf, sizeof buf);
	tap_is_str(buf, want, "%s", what);
}

static void
test_client(void)
{
	const char *x = "X-Forwarded-For";

	is_client("192.0.2.7:5000", NULL, NULL, NULL, NULL, "192.0.2.7",
	    "a direct client: its address without the port");
	is_client("2001:db8::5:443", NULL, NULL, NULL, NULL, "2001:db8::5",
	    "a direct IPv6 client: the address without the port");
	is_client("192.0.2.7:5000", x, "198.51.100.1", NULL, NULL, "192.0.2.7",
	    "X-Forwarded-For from a remote peer is not trusted");
	is_client("127.0.0.1:5000", NULL, NULL, NULL, NULL, "127.0.0.1",
	    "the local peer without X-Forwarded-For is itself");
	is_client("127.0.0.1:5000", "x-forwarded-for", "198.51.100.1", NULL,
	    NULL, "198.51.100.1", "the local balancer's X-Forwarded-For "
	    "(any case) names the client");
	is_client("::1:5000", x, "198.51.100.1", NULL, NULL, "198.51.100.1",
	    "so does ::1's");
	is_client("127.0.0.1:5000", x, "203.0.113.9, 198.51.100.1", NULL,
	    NULL, "198.51.100.1", "the last hop of a list counts");
	is_client("127.0.0.1:5000", x, "203.0.113.9", x, "198.51.100.2",
	    "198.51.100.2", "the last field counts");
	is_client("127.0.0.1:5000", x, "1.2.3.4,  2001:db8::1 ", NULL, NULL,
	    "2001:db8::1", "an IPv6 hop, spaces trimmed");
	is_client("127.0.0.1:5000", x, "198.51.100.1, evil", NULL, NULL,
	    "127.0.0.1", "a last hop that is not an address is ignored");
	is_client("127.0.0.1:5000", x, "198.51.100.1,", NULL, NULL,
	    "127.0.0.1", "an empty last hop is ignored");
	is_client("127.0.0.1:5000", x, "", NULL, NULL, "127.0.0.1",
	    "an empty header is ignored");
}

int
main(void)
{
	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	test_tokens();
	test_bearer();
	test_client();
	return tap_done();
}
