/* stream.c — see stream.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "log.h"
#include "stream.h"
#include "xmalloc.h"

struct stream {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* the pool thread waits on it */
	struct evbuffer	*buf;
	size_t		 capacity;
	struct event	*wake;
	int		 waiting;	/* the event thread waits for the pool */
	int		 closed;
	int		 status;	/* of the close: 0 is the normal end */
	char		*cause;
};

struct stream *
stream_new(size_t capacity, struct event *wake)
{
	struct stream *s;

	s = xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if ((s->buf = evbuffer_new()) == NULL)
		fatalx("out of memory");
	s->capacity = capacity;
	s->wake = wake;
	return s;
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	evbuffer_free(s->buf);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->cause);
	free(s);
}

/* The pool thread changed the pipe: wake the event thread if it waits.
 * Called with the lock held. */
static void
stream_poke(struct stream *s)
{
	if (s->waiting) {
		s->waiting = 0;
		event_active(s->wake, EV_READ, 0);
	}
}

size_t
stream_room(struct stream *s)
{
	size_t n, room;

	pthread_mutex_lock(&s->lock);
	n = evbuffer_get_length(s->buf);
	room = s->closed || n >= s->capacity ? 0 : s->capacity - n;
	pthread_mutex_unlock(&s->lock);
	return room;
}

void
stream_put(struct stream *s, const void *data, size_t len)
{
	pthread_mutex_lock(&s->lock);
	if (!s->closed && len > 0) {
		evbuffer_add(s->buf, data, len);
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
}

void
stream_put_buffer(struct stream *s, struct evbuffer *src, size_t len)
{
	pthread_mutex_lock(&s->lock);
	if (!s->closed && len > 0) {
		evbuffer_remove_buffer(src, s->buf, len);
		pthread_cond_signal(&s->cond);
	} else
		evbuffer_drain(src, len);
	pthread_mutex_unlock(&s->lock);
}

size_t
stream_take(struct stream *s, struct evbuffer *dst, size_t max)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = evbuffer_remove_buffer(s->buf, dst, max);
	if (n > 0)
		pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return n > 0 ? (size_t)n : 0;
}

int
stream_pause_put(struct stream *s)
{
	int pause;

	pthread_mutex_lock(&s->lock);
	pause = !s->closed && evbuffer_get_length(s->buf) >= s->capacity;
	s->waiting = pause;
	pthread_mutex_unlock(&s->lock);
	return pause;
}

int
stream_pause_take(struct stream *s)
{
	int pause;

	pthread_mutex_lock(&s->lock);
	pause = !s->closed && evbuffer_get_length(s->buf) == 0;
	s->waiting = pause;
	pthread_mutex_unlock(&s->lock);
	return pause;
}

void
stream_close(struct stream *s, int status, const char *cause)
{
	pthread_mutex_lock(&s->lock);
	if (!s->closed) {
		s->closed = 1;
		s->status = status;
		s->cause = cause != NULL ? xstrdup(cause) : NULL;
		if (status != 0)
			evbuffer_drain(s->buf, evbuffer_get_length(s->buf));
		pthread_cond_broadcast(&s->cond);
		stream_poke(s);
	}
	pthread_mutex_unlock(&s->lock);
}

int
stream_closed(struct stream *s, int *status, const char **cause)
{
	int closed;

	pthread_mutex_lock(&s->lock);
	closed = s->closed;
	if (status != NULL)
		*status = s->status;
	if (cause != NULL)
		*cause = s->cause;
	pthread_mutex_unlock(&s->lock);
	return closed;
}

size_t
stream_length(struct stream *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = evbuffer_get_length(s->buf);
	pthread_mutex_unlock(&s->lock);
	return n;
}

ssize_t
stream_read(struct stream *s, void *buf, size_t len, int *status,
    const char **cause)
{
	int n;

	pthread_mutex_lock(&s->lock);
	while (evbuffer_get_length(s->buf) == 0 && !s->closed)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->closed && s->status != 0) {
		*status = s->status;
		*cause = s->cause != NULL ? s->cause : "request body failed";
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	n = evbuffer_remove(s->buf, buf, len);
	/*
	 * Room again: the event thread may read the socket once more.  Not
	 * for every read, or both threads would trade small pieces; half
	 * the pipe makes a few large reads instead.
	 */
	if (n > 0 && evbuffer_get_length(s->buf) <= s->capacity / 2)
		stream_poke(s);
	pthread_mutex_unlock(&s->lock);
	return n > 0 ? n : 0;
}

int
stream_write(struct stream *s, const void *data, size_t len)
{
	const char *p = data;
	size_t room, n;

	pthread_mutex_lock(&s->lock);
	while (len > 0) {
		while (!s->closed &&
		    evbuffer_get_length(s->buf) >= s->capacity)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->closed) {
			pthread_mutex_unlock(&s->lock);
			return -1;
		}
		room = s->capacity - evbuffer_get_length(s->buf);
		n = len < room ? len : room;
		evbuffer_add(s->buf, p, n);
		p += n;
		len -= n;
		stream_poke(s);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}
