/*
 * task-ops.h — what task.c shares with the files that hold the operations.
 *
 * Each operation is one row of task.c's table: its name, the fields it
 * reads from "datos" with the kind each must have, and its handler.  The
 * framework (task_run) checks presence, kind and the text size limit from
 * the row, so a handler receives its fields already typed, in row order,
 * and checks only their meaning (ranges, domain, result size).
 *
 * A handler returns the new "resultado" value, or NULL with *cause set to
 * the Spanish message for the client (allocated; the caller frees it).
 */
#ifndef PFO3_TASK_OPS_H
#define PFO3_TASK_OPS_H

#include <stdint.h>

#include <jansson.h>

#include "bignum.h"

struct conf_tasks;

enum task_kind {
	TASK_NUMBER,		/* JSON integer or real, never a boolean */
	TASK_INTEGER,		/* JSON integer only: 5.0 is refused */
	TASK_TEXT,		/* JSON string, at most tasks.max_text bytes */
};

struct task_field {
	const char	*name;		/* NULL ends the list */
	enum task_kind	 kind;
};

#define TASK_MAX_FIELDS	2

typedef json_t	*task_handler(const json_t *const arg[],
		    const struct conf_tasks *limits, char **cause);

struct task_op {
	const char		*name;
	struct task_field	 field[TASK_MAX_FIELDS];
	task_handler		*run;
};

/* task-math.c */
json_t	*task_suma(const json_t *const [], const struct conf_tasks *, char **);
json_t	*task_resta(const json_t *const [], const struct conf_tasks *, char **);
json_t	*task_multiplicacion(const json_t *const [], const struct conf_tasks *,
	    char **);
json_t	*task_division(const json_t *const [], const struct conf_tasks *,
	    char **);
json_t	*task_potencia(const json_t *const [], const struct conf_tasks *,
	    char **);
json_t	*task_raiz(const json_t *const [], const struct conf_tasks *, char **);
json_t	*task_factorial(const json_t *const [], const struct conf_tasks *,
	    char **);
json_t	*task_primo(const json_t *const [], const struct conf_tasks *, char **);
json_t	*task_fibonacci(const json_t *const [], const struct conf_tasks *,
	    char **);

/* task-text.c */
json_t	*task_inverso_texto(const json_t *const [], const struct conf_tasks *,
	    char **);
json_t	*task_mayusculas(const json_t *const [], const struct conf_tasks *,
	    char **);
json_t	*task_contar_palabras(const json_t *const [],
	    const struct conf_tasks *, char **);
json_t	*task_sleep(const json_t *const [], const struct conf_tasks *, char **);

/* Result builders (task.c). */
#define TASK_EXACT_MAX	((int64_t)1 << 53)	/* beyond: a decimal string */
/* An exact integer: a JSON integer within ±2^53, else its decimal text. */
json_t	*task_exact(__int128 v);
/* The same for -mag when `negative`, else mag. */
json_t	*task_exact_big(const struct bignum *mag, int negative);
/* A JSON real, or NULL and "Resultado no finito" for inf and NaN. */
json_t	*task_real(double v, char **cause);
/* The "Resultado demasiado grande" refusal for a limit of `max` digits. */
char	*task_too_big(int64_t max);

#endif
