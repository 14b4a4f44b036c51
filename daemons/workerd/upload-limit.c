/* upload-limit.c — see upload-limit.h. */
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "upload-limit.h"
#include "xmalloc.h"

struct upload_user {
	int64_t		 user;		/* 0: a free slot */
	int		 n;		/* uploads in flight */
};

struct upload_limit {
	pthread_mutex_t	 lock;
	int		 max_user;
	int		 nslots;
	struct upload_user *slots;
};

struct upload_limit *
upload_limit_new(int max_per_worker, int max_per_user)
{
	struct upload_limit *ul;

	ul = xcalloc(1, sizeof *ul);
	pthread_mutex_init(&ul->lock, NULL);
	ul->max_user = max_per_user;
	ul->nslots = max_per_worker;
	ul->slots = xcalloc((size_t)max_per_worker, sizeof *ul->slots);
	return ul;
}

void
upload_limit_free(struct upload_limit *ul)
{
	if (ul == NULL)
		return;
	pthread_mutex_destroy(&ul->lock);
	free(ul->slots);
	free(ul);
}

/* The user's slot, or a free one to take; NULL when neither (cannot
 * happen while no more than nslots uploads run).  Lock held. */
static struct upload_user *
upload_limit_find(struct upload_limit *ul, int64_t user)
{
	struct upload_user *free_slot = NULL;
	int i;

	for (i = 0; i < ul->nslots; i++) {
		if (ul->slots[i].user == user)
			return &ul->slots[i];
		if (ul->slots[i].user == 0 && free_slot == NULL)
			free_slot = &ul->slots[i];
	}
	return free_slot;
}

int
upload_limit_enter(struct upload_limit *ul, int64_t user)
{
	struct upload_user *u;
	int rc = -1;

	pthread_mutex_lock(&ul->lock);
	if ((u = upload_limit_find(ul, user)) == NULL)
		log_warnx("upload limit: no slot for user %lld",
		    (long long)user);
	else if (u->n < ul->max_user) {
		u->user = user;
		u->n++;
		rc = 0;
	}
	pthread_mutex_unlock(&ul->lock);
	return rc;
}

void
upload_limit_leave(struct upload_limit *ul, int64_t user)
{
	struct upload_user *u;

	pthread_mutex_lock(&ul->lock);
	if ((u = upload_limit_find(ul, user)) != NULL && u->user == user &&
	    --u->n == 0)
		u->user = 0;
	pthread_mutex_unlock(&ul->lock);
}
