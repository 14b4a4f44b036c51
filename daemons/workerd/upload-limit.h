/*
 * upload-limit.h — how many streamed uploads each user has in flight on
 * this worker, so that one user cannot take every upload thread
 * (uploads.max_per_user of uploads.max_per_worker).
 *
 * The worker-wide cap is counted on the event thread before a thread is
 * given (conn-pool.c); this count needs the user, known only once the
 * upload thread has checked the token, so it is taken there (route-run.c),
 * under a lock.  At
 * most max_per_worker users have uploads at once: the table is that big
 * and never grows.
 */
#ifndef PFO3_UPLOAD_LIMIT_H
#define PFO3_UPLOAD_LIMIT_H

#include <stdint.h>

struct upload_limit;

struct upload_limit *upload_limit_new(int max_per_worker, int max_per_user);
void	upload_limit_free(struct upload_limit *ul);
/* One more upload of `user`: 0, or -1 when the user is at the cap. */
int	upload_limit_enter(struct upload_limit *ul, int64_t user);
/* An upload of `user` that entered is over. */
void	upload_limit_leave(struct upload_limit *ul, int64_t user);

#endif
