/*
 * seed-load.c — load for the seed's raw task protocol, as its client
 * speaks it: a new TCP connection per task, one JSON object written
 * without framing, the reply read until the server closes, then close.
 * Python opens connections far too slowly to load a server with this,
 * hence a small C program (built by bench/run.sh).
 *
 *   seed-load HOST PORT THREADS CONNS SECONDS PAYLOAD EXPECT
 *
 * THREADS threads each keep CONNS/THREADS tasks under way for SECONDS.
 * A reply that does not hold the string EXPECT, a reset, a refused or
 * timed out connection counts as an error (the loop goes on with a new
 * connection).  Prints on stdout, one `name value` a line: tasks (the
 * replies that held EXPECT), errors, seconds, tasks_per_s, p50_ms, p99_ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A reply longer than this is an error: the seed's replies are small. */
#define REPLY_MAX 4096
/* A task with no progress for this long is an error (a lost connection). */
#define STALL_NS (5 * 1000000000LL)

/* What went wrong with a task, for the breakdown on stderr. */
enum err { ERR_NONE = -1, ERR_SEND, ERR_RECV, ERR_REPLY, ERR_STALL };
static const char *err_names[] = { "send", "recv", "reply", "stall" };

struct task {
	int fd;
	int writing;		/* connect under way or payload not sent */
	size_t got;
	int64_t t0;		/* when the connection was started, ns */
	char reply[REPLY_MAX + 1];
};

struct worker {
	pthread_t thread;
	int conns;
	uint64_t tasks, errors;
	uint64_t why[4];	/* errors by enum err */
	char last_bad[256];	/* the last reply without `expect` */
	uint32_t *lat_us;	/* one latency per task that succeeded */
	size_t nlat, cap;
};

static struct sockaddr_in addr;
static const char *payload, *expect;
static size_t payload_len;
static int64_t t_end;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Starts a task on t: a non-blocking connect, watched for writability. */
static int
task_start(int ep, struct task *t)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = t };
	int one = 1;

	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		perror("seed-load: socket");
		return -1;
	}
	/* As the seed's client: the object goes out in one write at once. */
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->writing = 1;
	t->got = 0;
	t->t0 = now_ns();
	if (connect(t->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 &&
	    errno != EINPROGRESS) {
		/* Refused at once: watched anyway, the write reports it. */
		ev.events = EPOLLOUT | EPOLLERR;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, t->fd, &ev) < 0) {
		perror("seed-load: epoll_ctl");
		return -1;
	}
	return 0;
}

static void
record(struct worker *w, int64_t ns)
{
	if (w->nlat == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 65536;
		uint32_t *p = realloc(w->lat_us, cap * sizeof(*p));

		if (p == NULL)
			return;	/* the count still holds; the latency is lost */
		w->lat_us = p;
		w->cap = cap;
	}
	w->lat_us[w->nlat++] = (uint32_t)(ns / 1000);
}

/* Ends the task on t: a success when `why` is ERR_NONE. */
static void
task_end(struct worker *w, struct task *t, enum err why)
{
	close(t->fd);
	t->fd = -1;
	if (why == ERR_NONE) {
		w->tasks++;
		record(w, now_ns() - t->t0);
	} else {
		w->errors++;
		w->why[why]++;
	}
}

/* Moves t on after an event; returns 1 when the task ended. */
static int
task_step(int ep, struct worker *w, struct task *t, uint32_t events)
{
	if (t->writing) {
		ssize_t n = send(t->fd, payload, payload_len, MSG_NOSIGNAL);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = t };

		if (n != (ssize_t)payload_len) {
			task_end(w, t, ERR_SEND);
			return 1;
		}
		t->writing = 0;
		epoll_ctl(ep, EPOLL_CTL_MOD, t->fd, &ev);
		return 0;
	}
	for (;;) {
		ssize_t n = recv(t->fd, t->reply + t->got, REPLY_MAX - t->got, 0);

		if (n > 0) {
			t->got += (size_t)n;
			if (t->got == REPLY_MAX) {
				task_end(w, t, ERR_REPLY);
				return 1;
			}
			continue;
		}
		if (n == 0) {
			t->reply[t->got] = '\0';
			if (strstr(t->reply, expect) == NULL)
				snprintf(w->last_bad, sizeof(w->last_bad),
				    "%.255s", t->reply);
			task_end(w, t, strstr(t->reply, expect) != NULL ?
			    ERR_NONE : ERR_REPLY);
			return 1;
		}
		if (errno == EAGAIN && !(events & (EPOLLERR | EPOLLHUP)))
			return 0;
		if (errno == EINTR)
			continue;
		task_end(w, t, ERR_RECV);
		return 1;
	}
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	struct task *tasks;
	int64_t now;
	int ep, i, n;

	ep = epoll_create1(EPOLL_CLOEXEC);
	tasks = calloc((size_t)w->conns, sizeof(*tasks));
	if (ep < 0 || tasks == NULL) {
		perror("seed-load: epoll_create1/calloc");
		exit(2);
	}
	for (i = 0; i < w->conns; i++)
		if (task_start(ep, &tasks[i]) < 0)
			exit(2);
	while (now_ns() < t_end) {
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			struct task *t = evs[i].data.ptr;

			if (task_step(ep, w, t, evs[i].events) &&
			    now_ns() < t_end && task_start(ep, t) < 0)
				exit(2);
		}
		/* A task stuck past STALL_NS is an error; start it anew. */
		now = now_ns();
		for (i = 0; i < w->conns; i++) {
			if (tasks[i].fd >= 0 && now - tasks[i].t0 > STALL_NS) {
				task_end(w, &tasks[i], ERR_STALL);
				if (task_start(ep, &tasks[i]) < 0)
					exit(2);
			}
		}
	}
	for (i = 0; i < w->conns; i++)
		if (tasks[i].fd >= 0)
			close(tasks[i].fd);	/* under way at the end: not counted */
	free(tasks);
	close(ep);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int threads, conns, secs, i;
	struct worker *ws;
	uint64_t tasks = 0, errors = 0, why[4] = { 0 };
	const char *last_bad = "";
	uint32_t *all;
	size_t nall = 0, k;
	int64_t t0;
	double elapsed;

	if (argc != 8) {
		fprintf(stderr, "usage: seed-load HOST PORT THREADS CONNS "
		    "SECONDS PAYLOAD EXPECT\n");
		return 2;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(argv[2]));
	threads = atoi(argv[3]);
	conns = atoi(argv[4]);
	secs = atoi(argv[5]);
	payload = argv[6];
	payload_len = strlen(payload);
	expect = argv[7];
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || threads < 1 ||
	    conns < threads || secs < 1 || payload_len == 0) {
		fprintf(stderr, "seed-load: bad arguments\n");
		return 2;
	}
	ws = calloc((size_t)threads, sizeof(*ws));
	if (ws == NULL)
		return 2;
	t0 = now_ns();
	t_end = t0 + (int64_t)secs * 1000000000LL;
	for (i = 0; i < threads; i++) {
		ws[i].conns = conns / threads + (i < conns % threads);
		if (pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]) != 0) {
			fprintf(stderr, "seed-load: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(ws[i].thread, NULL);
		tasks += ws[i].tasks;
		errors += ws[i].errors;
		for (k = 0; k < 4; k++)
			why[k] += ws[i].why[k];
		if (ws[i].last_bad[0] != '\0')
			last_bad = ws[i].last_bad;
		nall += ws[i].nlat;
	}
	elapsed = (double)(now_ns() - t0) / 1e9;
	all = malloc((nall ? nall : 1) * sizeof(*all));
	if (all == NULL)
		return 2;
	for (i = 0, k = 0; i < threads; i++) {
		memcpy(all + k, ws[i].lat_us, ws[i].nlat * sizeof(*all));
		k += ws[i].nlat;
	}
	qsort(all, nall, sizeof(*all), cmp_u32);
	printf("tasks %llu\nerrors %llu\nseconds %.3f\ntasks_per_s %.0f\n",
	    (unsigned long long)tasks, (unsigned long long)errors, elapsed,
	    (double)tasks / elapsed);
	if (errors) {
		fprintf(stderr, "seed-load: errors:");
		for (k = 0; k < 4; k++)
			fprintf(stderr, " %s %llu", err_names[k],
			    (unsigned long long)why[k]);
		fprintf(stderr, " (the last reply: %.200s)\n", last_bad);
	}
	printf("p50_ms %.2f\np99_ms %.2f\n",
	    nall ? all[nall / 2] / 1000.0 : 0.0,
	    nall ? all[(size_t)((double)nall * 0.99)] / 1000.0 : 0.0);
	return tasks ? 0 : 1;
}
