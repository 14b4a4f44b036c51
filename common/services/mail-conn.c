/*
 * mail-conn.c — see mail-conn.h.
 *
 * The idle handles are a stack under one lock: the most recently used
 * handle is taken first, so the sessions in use stay few and warm, and
 * the others age out.  There are never more idle handles than threads
 * that sent mail at once.  A handle that failed is closed, never kept:
 * its session may be in the middle of a transaction.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "mail-conn.h"
#include "xmalloc.h"

struct mail_conn {
	CURL		*curl;
	int64_t		 idle_since_ms;
};

static pthread_mutex_t	 mail_conn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mail_conn	*mail_conn_idle;
static size_t		 mail_conn_n, mail_conn_size;

CURL *
mail_conn_take(int64_t idle_ms)
{
	CURL	*curl = NULL, **stale = NULL;
	int64_t	 now = clock_mono_ms();
	size_t	 i, nstale = 0;

	pthread_mutex_lock(&mail_conn_lock);
	/* Given back in order, so the too long idle are at the bottom:
	 * the relay may have dropped them, or be about to. */
	while (nstale < mail_conn_n && (idle_ms <= 0 ||
	    now - mail_conn_idle[nstale].idle_since_ms > idle_ms))
		nstale++;
	if (nstale > 0) {
		stale = xreallocarray(NULL, nstale, sizeof *stale);
		for (i = 0; i < nstale; i++)
			stale[i] = mail_conn_idle[i].curl;
		mail_conn_n -= nstale;
		memmove(mail_conn_idle, mail_conn_idle + nstale,
		    mail_conn_n * sizeof *mail_conn_idle);
	}
	if (mail_conn_n > 0)
		curl = mail_conn_idle[--mail_conn_n].curl;
	pthread_mutex_unlock(&mail_conn_lock);
	/* Closed (QUIT) outside the lock. */
	for (i = 0; i < nstale; i++)
		curl_easy_cleanup(stale[i]);
	free(stale);
	return curl != NULL ? curl : curl_easy_init();
}

void
mail_conn_give(CURL *curl, int keep, int64_t idle_ms, int64_t quit_ms)
{
	if (curl == NULL)
		return;
	if (!keep || idle_ms <= 0) {
		curl_easy_cleanup(curl);
		return;
	}
	/*
	 * Nothing of this delivery stays set (its buffers, its error buffer
	 * on the caller's stack); the session does.  What remains is what
	 * closing it needs: no signals, and a bound on the wait for the
	 * answer to QUIT (curl's own default is 2 minutes).
	 */
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)(quit_ms + 999) / 1000);
	pthread_mutex_lock(&mail_conn_lock);
	if (mail_conn_n == mail_conn_size) {
		mail_conn_size = mail_conn_size == 0 ? 4 : mail_conn_size * 2;
		mail_conn_idle = xreallocarray(mail_conn_idle, mail_conn_size,
		    sizeof *mail_conn_idle);
	}
	mail_conn_idle[mail_conn_n].curl = curl;
	mail_conn_idle[mail_conn_n].idle_since_ms = clock_mono_ms();
	mail_conn_n++;
	pthread_mutex_unlock(&mail_conn_lock);
}
