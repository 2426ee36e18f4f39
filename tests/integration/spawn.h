/* spawn: run the agent under test as a child process with its output in
 * files, wait for it with a bound, talk to its HTTP port, and show its log
 * when something goes wrong. */
#ifndef VANTAGE_SPAWN_H
#define VANTAGE_SPAWN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct spawn {
	pid_t		pid;		/* 0: not started or reaped */
	char		out_path[PATH_MAX];	/* the child's stdout */
	char		err_path[PATH_MAX];	/* the child's stderr */
	bool		exited;		/* reaped (status and ru valid) */
	int		status;		/* wait status */
	struct rusage	ru;		/* the child's usage (ru_maxrss in KiB) */
	int64_t		start_us, end_us;	/* monotonic */
};

/* The agent binary ($VANTAGE_AGENT) and source dir ($VANTAGE_SRCDIR, "."
 * when unset). */
const char *spawn_agent_path(void);
const char *spawn_srcdir(void);

/* Monotonic clock in microseconds. */
int64_t spawn_now_us(void);

/* Start argv[0] with argv (NULL-terminated), stdin /dev/null, stdout and
 * stderr going to dir/<tag>.out and dir/<tag>.err. The child is killed if
 * the calling thread dies (a failed test never leaves a daemon behind).
 * Returns 0, or -1 (message on stderr). */
int spawn_start(struct spawn *p, const char *dir, const char *tag,
    char *const argv[]);
/* Wait at most timeout_ms for the child to exit. Returns 0 once reaped,
 * or -1 on timeout (the child is then killed with SIGKILL and reaped). */
int spawn_wait(struct spawn *p, int timeout_ms);
/* Exit status if the child exited normally, else -1 - signal number. */
int spawn_exit_code(const struct spawn *p);
/* Is the child still running? (Reaps it if it has exited.) */
bool spawn_running(struct spawn *p);
/* Send sig to the running child. 0 or -1. */
int spawn_signal(struct spawn *p, int sig);
/* Kill (SIGKILL) and reap a child that is still running; NULL-safe. */
void spawn_kill(struct spawn *p);
/* Print the child's stderr (and stdout, bounded) to our stderr, marked
 * with why, so a CI log shows what the agent said. */
void spawn_dump(const struct spawn *p, const char *why);

/* Poll (10 ms steps, at most timeout_ms) until path holds a port number
 * the child wrote; fails early if the child exits. Returns the port or 0. */
unsigned spawn_wait_portfile(struct spawn *p, const char *path, int timeout_ms);

/* GET http://127.0.0.1:port<path> with libcurl (5 s bound). Returns 0 with
 * the status in *status and a new NUL-terminated body in *body (caller
 * frees), or -1 on a transport error. */
int spawn_http_get(unsigned port, const char *path, long *status, char **body);

/* Read a whole file into a new NUL-terminated string (caller frees), with
 * its length in *len if len is not NULL; NULL if it cannot be read. */
char *spawn_read_file(const char *path, size_t *len);
/* Write text to path (replacing it atomically). 0 or -1. */
int spawn_write_file(const char *path, const char *text);

#endif
