/*
 * mqapi.c — the RabbitMQ management API (GET /api/queues/VHOST), for what
 * AMQP itself does not tell: each queue's unacknowledged messages and its
 * publish and delivery rates.  The user, password and vhost are those the
 * broker client logs in with (broker_login_of); the password is never
 * logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "broker.h"
#include "deps.h"
#include "xmalloc.h"

/* The whole reply is kept: a vhost of a few hundred queues is ~1 MiB. */
#define MQAPI_REPLY_MAX	(8 * 1024 * 1024)

struct mqapi {
	CURL	*curl;
	char	*url;		/* …/api/queues/VHOST */
	char	*user;
	char	*pass;
	int64_t	 timeout_ms;
};

struct mqapi_buf {
	char	*data;
	size_t	 len;
	int	 too_big;
};

struct mqapi *
mqapi_new(const char *api_url, const struct conf_amqp *mq,
    int64_t timeout_ms, char **cause)
{
	struct mqapi	*m;
	char		*vhost, *esc;
	size_t		 n;

	m = xcalloc(1, sizeof *m);
	if (broker_login_of(mq, &m->user, &m->pass, &vhost, cause) == -1) {
		free(m);
		return NULL;
	}
	if ((m->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		free(vhost);
		mqapi_free(m);
		return NULL;
	}
	esc = curl_easy_escape(m->curl, vhost, 0);
	n = strlen(api_url);
	while (n > 0 && api_url[n - 1] == '/')
		n--;
	m->url = xasprintf("%.*s/api/queues/%s?columns=name,messages_ready,"
	    "messages_unacknowledged,consumers,message_stats", (int)n,
	    api_url, esc);
	curl_free(esc);
	free(vhost);
	m->timeout_ms = timeout_ms;
	return m;
}

void
mqapi_free(struct mqapi *m)
{
	if (m == NULL)
		return;
	if (m->curl != NULL)
		curl_easy_cleanup(m->curl);
	free(m->url);
	free(m->user);
	if (m->pass != NULL)
		explicit_bzero(m->pass, strlen(m->pass));
	free(m->pass);
	free(m);
}

static size_t
mqapi_write(char *data, size_t size, size_t n, void *arg)
{
	struct mqapi_buf *b = arg;

	if (b->len + size * n > MQAPI_REPLY_MAX) {
		b->too_big = 1;
		return 0;
	}
	b->data = xrealloc(b->data, b->len + size * n + 1);
	memcpy(b->data + b->len, data, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static double
mqapi_rate(const json_t *stats, const char *name)
{
	char key[64];

	snprintf(key, sizeof key, "%s_details", name);
	return json_number_value(json_object_get(json_object_get(stats, key),
	    "rate"));
}

int
mqapi_queues(struct mqapi *m, struct mq_queue *q, int max, char **cause)
{
	struct mqapi_buf	 b = { NULL, 0, 0 };
	json_error_t		 err;
	json_t			*all, *one, *st;
	CURLcode		 rc;
	long			 code = 0;
	size_t			 i;
	int			 n = 0;

	curl_easy_reset(m->curl);
	curl_easy_setopt(m->curl, CURLOPT_URL, m->url);
	curl_easy_setopt(m->curl, CURLOPT_USERNAME, m->user);
	curl_easy_setopt(m->curl, CURLOPT_PASSWORD, m->pass);
	curl_easy_setopt(m->curl, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms);
	curl_easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, mqapi_write);
	curl_easy_setopt(m->curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(m->curl);
	if (rc != CURLE_OK) {
		*cause = xasprintf("%s", b.too_big ? "reply too long" :
		    curl_easy_strerror(rc));
		free(b.data);
		return -1;
	}
	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		*cause = xasprintf("HTTP status %ld", code);
		free(b.data);
		return -1;
	}
	all = json_loadb(b.data != NULL ? b.data : "", b.len, 0, &err);
	free(b.data);
	if (!json_is_array(all)) {
		*cause = xasprintf("not a JSON array: %s", err.text);
		json_decref(all);
		return -1;
	}
	json_array_foreach(all, i, one) {
		if (n == max)
			break;
		if (!json_is_string(json_object_get(one, "name")))
			continue;
		memset(&q[n], 0, sizeof q[n]);
		snprintf(q[n].name, sizeof q[n].name, "%s",
		    json_string_value(json_object_get(one, "name")));
		q[n].messages = json_integer_value(json_object_get(one,
		    "messages_ready"));
		q[n].unacked = json_integer_value(json_object_get(one,
		    "messages_unacknowledged"));
		q[n].consumers = json_integer_value(json_object_get(one,
		    "consumers"));
		st = json_object_get(one, "message_stats");
		q[n].in_s = mqapi_rate(st, "publish");
		q[n].out_s = mqapi_rate(st, "deliver_get");
		n++;
	}
	json_decref(all);
	return n;
}
