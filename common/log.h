/*
 * log.h — the one logging module of pfo3.
 *
 * Messages go to stderr when a daemon runs in the foreground, to a file when
 * `log.file` is set, to syslog otherwise.  Every message carries its level and
 * the calling function.  log_write() formats into a local buffer and emits it
 * with a single write(2), so lines from pool threads never interleave.
 */
#ifndef PFO3_LOG_H
#define PFO3_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Starts logging as `ident`.  `foreground` sends lines to stderr. */
void	log_init(const char *ident, int foreground, enum log_level level);
/* Logs to `path` (appending) instead of stderr/syslog; NULL or "" undoes it.
 * Returns -1 and sets *cause when the file cannot be opened. */
int	log_open_file(const char *path, char **cause);
/* Reopens the log file after rotation (SIGHUP).  A no-op without a file. */
void	log_reopen(void);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error|warn|info|debug"; returns -1 for anything else. */
int	log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

void	log_write(enum log_level level, const char *func, int with_errno,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	log_vwrite(enum log_level level, const char *func, int with_errno,
	    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
void	log_fatal(const char *func, int with_errno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));

/* log_warn and fatal append strerror(errno); the -x forms do not. */
#define log_error(...)	log_write(LOG_LVL_ERROR, __func__, 1, __VA_ARGS__)
#define log_errorx(...)	log_write(LOG_LVL_ERROR, __func__, 0, __VA_ARGS__)
#define log_warn(...)	log_write(LOG_LVL_WARN, __func__, 1, __VA_ARGS__)
#define log_warnx(...)	log_write(LOG_LVL_WARN, __func__, 0, __VA_ARGS__)
#define log_info(...)	log_write(LOG_LVL_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...)	log_write(LOG_LVL_DEBUG, __func__, 0, __VA_ARGS__)
#define fatal(...)	log_fatal(__func__, 1, __VA_ARGS__)
#define fatalx(...)	log_fatal(__func__, 0, __VA_ARGS__)

#endif
