/* jarena: a per-thread arena for jansson. Parsing a 500-result batch
 * makes tens of thousands of small objects that all die together; from
 * jarena_begin to jarena_end a thread's jansson allocations come from its
 * arena (freeing one is a no-op), and the next jarena_begin takes the
 * memory back at once. Other threads, and this one outside begin/end, use
 * malloc as usual. */
#ifndef VANTAGE_JARENA_H
#define VANTAGE_JARENA_H

/* Make jansson allocate through the arenas (once, before any thread uses
 * jansson). */
void jarena_install(void);
/* Start allocating from this thread's arena, which is emptied first: every
 * JSON value allocated in it before must be dead (decref'ed) by now. */
void jarena_begin(void);
/* Allocate with malloc again. Values from the arena stay valid until the
 * next jarena_begin; decref them before that. */
void jarena_end(void);

#endif
