/*
 * argon2-verify.c — the reference of the login benchmark: how long one
 * crypto_pwhash_str_verify takes on this machine.
 *
 * usage: argon2-verify [-t threads] [-n count] HASH PASSWORD
 *
 * HASH is a password hash the worker stored (read from its database), so
 * the parameters (algorithm, memory, passes) are the worker's own whatever
 * they are.  Each of `threads` threads verifies PASSWORD against it `count`
 * times; every check must succeed.  Prints one line:
 *   threads=T verifies=N seconds=S ms_per_verify=M cpu_ms_per_verify=C
 *   per_second=R
 * where M is the mean wall time of one verify in one thread, C the mean
 * CPU time of one (what it costs whatever else the machine runs) and R
 * the verifies per second of all the threads together.  bench/run.sh
 * builds it against libsodium in its temporary folder.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define MAX_THREADS	64

struct job {
	const char	*hash;
	const char	*password;
	long		 count;
	int		 failed;
	double		 cpu;		/* seconds of CPU the thread used */
};

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	double start = now(CLOCK_THREAD_CPUTIME_ID);
	long i;

	for (i = 0; i < j->count; i++) {
		if (crypto_pwhash_str_verify(j->hash, j->password,
		    strlen(j->password)) != 0) {
			j->failed = 1;
			break;
		}
	}
	j->cpu = now(CLOCK_THREAD_CPUTIME_ID) - start;
	return NULL;
}

static long
number(const char *s, long max, const char *what)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > max) {
		fprintf(stderr, "argon2-verify: %s must be 1..%ld: %s\n", what,
		    max, s);
		exit(2);
	}
	return n;
}

int
main(int argc, char **argv)
{
	pthread_t tid[MAX_THREADS];
	struct job job[MAX_THREADS];
	long threads = 1, count = 20, i;
	double start, secs, cpu = 0;
	int ch, failed = 0;

	while ((ch = getopt(argc, argv, "t:n:")) != -1) {
		switch (ch) {
		case 't':
			threads = number(optarg, MAX_THREADS, "threads");
			break;
		case 'n':
			count = number(optarg, 1000000, "count");
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if (sodium_init() < 0) {
		fprintf(stderr, "argon2-verify: sodium_init failed\n");
		return 1;
	}

	start = now(CLOCK_MONOTONIC);
	for (i = 0; i < threads; i++) {
		job[i] = (struct job){ argv[optind], argv[optind + 1], count,
		    0, 0 };
		if ((errno = pthread_create(&tid[i], NULL, run, &job[i])) != 0) {
			perror("argon2-verify: pthread_create");
			return 1;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		failed |= job[i].failed;
		cpu += job[i].cpu;
	}
	secs = now(CLOCK_MONOTONIC) - start;
	if (failed) {
		fprintf(stderr, "argon2-verify: the password does not match "
		    "the hash (or out of memory)\n");
		return 1;
	}
	printf("threads=%ld verifies=%ld seconds=%.3f ms_per_verify=%.2f "
	    "cpu_ms_per_verify=%.2f per_second=%.2f\n", threads,
	    threads * count, secs, secs * 1e3 / (double)count,
	    cpu * 1e3 / (double)(threads * count),
	    (double)(threads * count) / secs);
	return 0;

usage:
	fprintf(stderr, "usage: argon2-verify [-t threads] [-n count] HASH "
	    "PASSWORD\n");
	return 2;
}
