/* test-s3url.c — the S3 client's canonical URLs, endpoint parsing, key
 * checks and XML helpers (s3-url.c), with no server. */
#include <stdlib.h>
#include <string.h>

#include "s3-int.h"
#include "tap.h"

static void
is_url(const char *base, int path_style, const char *key,
    const struct s3_param *p, int n, const char *want, const char *what)
{
	char	*got;

	got = s3_url(base, "pfo3", path_style, key, p, n);
	tap_is_str(got, want, "%s", what);
	free(got);
}

static void
is_base(const char *endpoint, const char *bucket, int path_style,
    const char *want, const char *what)
{
	char	*got, *cause = NULL;

	got = s3_base(endpoint, bucket, path_style, &cause);
	tap_is_str(got, want, "%s%s%s", what, cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(got);
	free(cause);
}

static void
is_key(const char *key, int want, const char *what)
{
	char	*cause = NULL;
	int	 rv;

	rv = s3_key_check(key, &cause);
	tap_ok(rv == want && (rv == 0) == (cause == NULL), "%s%s%s", what,
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
}

static void
is_xml(const char *xml, const char *name, const char *want, const char *what)
{
	char	*got;

	got = s3_xml_text(xml, name);
	tap_is_str(got, want, "%s", what);
	free(got);
}

int
main(void)
{
	const char	*b = "http://127.0.0.1:9000";
	struct s3_param	 part[] = {
		{ "uploadId", "a/b+c=d&e f~" }, { "partNumber", "12" },
	};
	struct s3_param	 uploads[] = { { "uploads", "" } };
	struct s3_buf	 buf = { 0 };
	char		 all[256];
	char		*longkey;
	int		 i;

	/* Paths: unreserved bytes and '/' stay, the rest is %XX uppercase. */
	is_url(b, 1, "files/1", NULL, 0,
	    "http://127.0.0.1:9000/pfo3/files/1", "path-style object");
	is_url(b, 1, NULL, NULL, 0, "http://127.0.0.1:9000/pfo3",
	    "path-style bucket");
	is_url("http://pfo3.s3.example.com", 0, "files/1", NULL, 0,
	    "http://pfo3.s3.example.com/files/1", "virtual-hosted object");
	is_url("http://pfo3.s3.example.com", 0, NULL, NULL, 0,
	    "http://pfo3.s3.example.com/", "virtual-hosted bucket is /");
	is_url(b, 1, "a b+c=d&e?f#g%h", NULL, 0,
	    "http://127.0.0.1:9000/pfo3/a%20b%2Bc%3Dd%26e%3Ff%23g%25h",
	    "space + = & ? # % are encoded");
	is_url(b, 1, "é/✓", NULL, 0,
	    "http://127.0.0.1:9000/pfo3/%C3%A9/%E2%9C%93",
	    "UTF-8 bytes are encoded one by one, uppercase");
	is_url(b, 1, "AZaz09-._~/x", NULL, 0,
	    "http://127.0.0.1:9000/pfo3/AZaz09-._~/x",
	    "the unreserved set is kept");
	is_url(b, 1, "!'()*[]{}:;,@$", NULL, 0,
	    "http://127.0.0.1:9000/pfo3/"
	    "%21%27%28%29%2A%5B%5D%7B%7D%3A%3B%2C%40%24",
	    "sub-delims RFC 3986 reserves are encoded");

	/* Queries: sorted by name, values encoded ('/' too), k= for empty. */
	is_url(b, 1, "k", part, 2,
	    "http://127.0.0.1:9000/pfo3/k?partNumber=12&"
	    "uploadId=a%2Fb%2Bc%3Dd%26e%20f~",
	    "partNumber before uploadId, values encoded");
	is_url(b, 1, "k", uploads, 1, "http://127.0.0.1:9000/pfo3/k?uploads=",
	    "an empty parameter is written uploads=");
	tap_is_str(part[0].name, "uploadId", "the caller's order is kept");

	/* Bytes 0x80..0xff and controls, through the encoder directly. */
	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	s3_encode(&buf, all, 0);
	tap_is_int((long long)buf.len, 66 + 189 * 3,
	    "every byte but the 66 unreserved takes 3 characters");
	tap_ok(strstr(buf.data, "%2F") != NULL && strstr(buf.data, "%FF") !=
	    NULL && strstr(buf.data, "%01") != NULL, "'/' %%2F, 0xff %%FF, "
	    "0x01 %%01");
	s3_buf_free(&buf);

	/* Endpoints. */
	is_base("http://127.0.0.1:9000", "pfo3", 1, "http://127.0.0.1:9000",
	    "path-style base is the endpoint");
	is_base("https://s3.example.com/", "pfo3", 1, "https://s3.example.com",
	    "a trailing slash is dropped");
	is_base("https://s3.eu-west-1.amazonaws.com", "pfo3", 0,
	    "https://pfo3.s3.eu-west-1.amazonaws.com",
	    "virtual-hosted base puts the bucket in the host");
	is_base("http://minio.lan:9000", "pfo3", 0, "http://pfo3.minio.lan:9000",
	    "with the port kept");
	is_base(NULL, "pfo3", 1, NULL, "no endpoint refused");
	is_base("ftp://x", "pfo3", 1, NULL, "ftp:// refused");
	is_base("http://x/prefix", "pfo3", 1, NULL, "a path refused");
	is_base("http://user:pw@x", "pfo3", 1, NULL, "credentials refused");
	is_base("http://", "pfo3", 1, NULL, "no host refused");
	is_base("http://x", "", 1, NULL, "empty bucket refused");
	is_base("http://10.0.0.1:9000", "pfo3", 0, NULL,
	    "virtual-hosted to an IPv4 address refused");
	is_base("http://[::1]:9000", "pfo3", 0, NULL,
	    "virtual-hosted to an IPv6 address refused");
	is_base("http://s3.example.com", "My_Bucket", 0, NULL,
	    "virtual-hosted with a bucket that is no host name refused");

	/* Keys. */
	is_key("files/1", 0, "files/1 accepted");
	is_key("a b/✓+.txt", 0, "spaces, UTF-8, + accepted");
	is_key("a/..b/c..", 0, "dots inside a segment accepted");
	is_key("dir/", -1, "an empty last segment refused");
	is_key("", -1, "empty refused");
	is_key("..", -1, ".. refused");
	is_key("a/../b", -1, "a/../b refused");
	is_key("a/..", -1, "a/.. refused");
	is_key("./a", -1, "./a refused");
	is_key("/a", -1, "a leading / refused");
	is_key("a//b", -1, "a//b refused");
	is_key("a\tb", -1, "a tab refused");
	is_key("a\x7f", -1, "DEL refused");
	longkey = malloc(S3_KEY_MAX + 2);
	memset(longkey, 'k', S3_KEY_MAX);
	longkey[S3_KEY_MAX] = '\0';
	is_key(longkey, 0, "1024 bytes accepted");
	longkey[S3_KEY_MAX] = 'k';
	longkey[S3_KEY_MAX + 1] = '\0';
	is_key(longkey, -1, "1025 bytes refused");
	free(longkey);
	is_key(NULL, -1, "NULL refused");

	/* XML. */
	is_xml("<Error><Code>NoSuchKey</Code><Message>The key &lt;a&amp;b&gt; "
	    "&quot;x&apos; &#233;&#x2713;</Message></Error>", "Message",
	    "The key <a&b> \"x' é✓", "entities and references decoded");
	is_xml("<Error><Code>NoSuchKey</Code></Error>", "Code", "NoSuchKey",
	    "<Code>");
	is_xml("<Error><Code></Code></Error>", "Code", "", "empty element is \"\"");
	is_xml("<Error><Code>x</Error>", "Code", NULL, "unclosed is NULL");
	is_xml("<A/>", "UploadId", NULL, "missing is NULL");
	is_xml(NULL, "UploadId", NULL, "no body is NULL");
	is_xml("&bogus; &#xZZ; &", "X", NULL, "not an element");
	is_xml("<X>&bogus; &#xZZ; &#0; &</X>", "X", "&bogus; &#xZZ; &#0; &",
	    "unknown entities stay as they are");
	s3_xml_escape(&buf, "\"e<t>&ag\"");
	tap_is_str(buf.data, "&quot;e&lt;t&gt;&amp;ag&quot;", "XML escape");
	s3_buf_free(&buf);

	/* The capped buffer. */
	buf.max = 4;
	s3_buf_addstr(&buf, "abcdef");
	s3_buf_addstr(&buf, "gh");
	tap_is_str(buf.data, "abcd", "a capped buffer keeps its first bytes");
	s3_buf_free(&buf);
	return tap_done();
}
