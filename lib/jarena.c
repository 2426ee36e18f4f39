/* jarena: bump allocation for jansson, per thread. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "jarena.h"
#include "xmalloc.h"

#define CHUNK		(1024 * 1024)
#define KEEP_CHUNKS	8		/* kept between requests, per thread */
#define MAX_CHUNKS	64		/* past this, plain malloc */

struct chunk {
	char	*base;
	size_t	 size, used;
};

struct arena {
	struct chunk	c[MAX_CHUNKS];
	int		n, cur;
	bool		active;
};

static __thread struct arena *arena;
static pthread_key_t arena_key;		/* frees a thread's arena when it ends */
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static bool
owned(const struct arena *a, const void *p)
{
	const char *q = p;

	for (int i = 0; a && i < a->n; i++)
		if (q >= a->c[i].base && q < a->c[i].base + a->c[i].size)
			return true;
	return false;
}

static void *
arena_malloc(size_t n)
{
	struct arena *a = arena;
	struct chunk *c;

	if (a == NULL || !a->active || n > CHUNK / 4)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	for (;;) {
		c = &a->c[a->cur];
		if (a->cur < a->n && c->size - c->used >= n) {
			void *p = c->base + c->used;

			c->used += n;
			return p;
		}
		if (a->cur + 1 < a->n) {
			a->cur++;
			a->c[a->cur].used = 0;
			continue;
		}
		if (a->n == MAX_CHUNKS)
			return malloc(n);
		a->c[a->n].base = xmalloc(CHUNK);
		a->c[a->n].size = CHUNK;
		a->c[a->n].used = 0;
		a->cur = a->n++;
	}
}

static void
arena_free(void *p)
{
	if (p != NULL && !owned(arena, p))
		free(p);
}

static void
arena_destroy(void *p)
{
	struct arena *a = p;

	for (int i = 0; a && i < a->n; i++)
		free(a->c[i].base);
	free(a);
}

static void
make_key(void)
{
	pthread_key_create(&arena_key, arena_destroy);
}

void
jarena_install(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void
jarena_begin(void)
{
	struct arena *a = arena;

	if (a == NULL) {
		a = arena = xcalloc(1, sizeof(*a));
		pthread_once(&arena_once, make_key);
		pthread_setspecific(arena_key, a);
	}
	/* give back what a large batch took beyond the usual */
	while (a->n > KEEP_CHUNKS)
		free(a->c[--a->n].base);
	for (int i = 0; i < a->n; i++)
		a->c[i].used = 0;
	a->cur = 0;
	a->active = true;
}

void
jarena_end(void)
{
	if (arena)
		arena->active = false;
}
