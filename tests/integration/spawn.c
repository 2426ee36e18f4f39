/* spawn: child processes for the integration tests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "spawn.h"

#define DUMP_MAX	(64 * 1024)
#define HTTP_BODY_MAX	(16 * 1024 * 1024)

extern char **environ;

const char *
spawn_agent_path(void)
{
	const char *p = getenv("VANTAGE_AGENT");

	return p && *p ? p : "agent/vantage-agent";
}

const char *
spawn_srcdir(void)
{
	const char *p = getenv("VANTAGE_SRCDIR");

	return p && *p ? p : ".";
}

int64_t
spawn_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
open_out(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

int
spawn_start(struct spawn *p, const char *dir, const char *tag, char *const argv[])
{
	pid_t parent = getpid(), pid;
	int in, out, err;

	memset(p, 0, sizeof(*p));
	snprintf(p->out_path, sizeof(p->out_path), "%s/%s.out", dir, tag);
	snprintf(p->err_path, sizeof(p->err_path), "%s/%s.err", dir, tag);
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out = open_out(p->out_path);
	err = open_out(p->err_path);
	if (in < 0 || out < 0 || err < 0) {
		fprintf(stderr, "spawn: cannot open %s/%s.*: %s\n", dir, tag,
		    strerror(errno));
		goto fail;
	}
	p->start_us = spawn_now_us();
	if ((pid = fork()) < 0) {
		fprintf(stderr, "spawn: fork: %s\n", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* only async-signal-safe calls until exec (we have threads) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the test */
		if (getppid() != parent)
			_exit(127);
		if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
		    dup2(err, STDERR_FILENO) < 0)
			_exit(127);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	p->pid = pid;
	close(in);
	close(out);
	close(err);
	return 0;
fail:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	return -1;
}

/* Reap the child if it has exited; 1 reaped, 0 still running, -1 error. */
static int
try_reap(struct spawn *p, int flags)
{
	pid_t r;

	if (p->pid <= 0)
		return p->exited ? 1 : -1;
	do
		r = wait4(p->pid, &p->status, flags, &p->ru);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		return -1;
	p->end_us = spawn_now_us();
	p->exited = true;
	p->pid = 0;
	return 1;
}

int
spawn_wait(struct spawn *p, int timeout_ms)
{
	int64_t deadline = spawn_now_us() + (int64_t)timeout_ms * 1000;

	for (;;) {
		int r = try_reap(p, WNOHANG);

		if (r == 1)
			return 0;
		if (r < 0)
			return -1;
		if (spawn_now_us() >= deadline)
			break;
		sleep_ms(10);
	}
	fprintf(stderr, "spawn: pid %d still running after %d ms: killing it\n",
	    (int)p->pid, timeout_ms);
	spawn_kill(p);
	return -1;
}

int
spawn_exit_code(const struct spawn *p)
{
	if (!p->exited)
		return -1000;
	if (WIFEXITED(p->status))
		return WEXITSTATUS(p->status);
	if (WIFSIGNALED(p->status))
		return -1 - WTERMSIG(p->status);
	return -1000;
}

bool
spawn_running(struct spawn *p)
{
	return try_reap(p, WNOHANG) == 0;
}

int
spawn_signal(struct spawn *p, int sig)
{
	if (p->pid <= 0)
		return -1;
	return kill(p->pid, sig);
}

void
spawn_kill(struct spawn *p)
{
	if (p == NULL || p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	try_reap(p, 0);
}

char *
spawn_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0;

	if (fp == NULL)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nd = realloc(data, cap = cap ? cap * 2 : 8192);
			if (nd == NULL) {
				free(data);
				fclose(fp);
				return NULL;
			}
			data = nd;
		}
		got = fread(data + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0)
			break;
	}
	fclose(fp);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

int
spawn_write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	FILE *fp;
	size_t n = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	if (fwrite(text, 1, n, fp) != n) {
		fclose(fp);
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static void
dump_file(const char *label, const char *path)
{
	size_t len = 0;
	char *s = spawn_read_file(path, &len);

	if (s == NULL) {
		fprintf(stderr, "---- %s (%s): cannot read\n", label, path);
		return;
	}
	fprintf(stderr, "---- %s (%s, %zu bytes)%s\n", label, path, len,
	    len > DUMP_MAX ? ", last 64 KiB" : "");
	fputs(len > DUMP_MAX ? s + len - DUMP_MAX : s, stderr);
	if (len > 0 && s[len - 1] != '\n')
		fputc('\n', stderr);
	free(s);
}

void
spawn_dump(const struct spawn *p, const char *why)
{
	if (p == NULL || p->err_path[0] == '\0')
		return;
	fprintf(stderr, "==== agent log (%s)%s\n", why,
	    p->exited ? "" : " [still running]");
	if (p->exited)
		fprintf(stderr, "exit code %d, ran %lld ms\n", spawn_exit_code(p),
		    (long long)((p->end_us - p->start_us) / 1000));
	dump_file("stderr", p->err_path);
	dump_file("stdout", p->out_path);
	fprintf(stderr, "==== end of agent log\n");
	fflush(stderr);
}

unsigned
spawn_wait_portfile(struct spawn *p, const char *path, int timeout_ms)
{
	int64_t deadline = spawn_now_us() + (int64_t)timeout_ms * 1000;

	for (;;) {
		char *s = spawn_read_file(path, NULL);

		if (s != NULL) {
			char *end;
			long port = strtol(s, &end, 10);
			bool whole = end != s && *end == '\n';

			free(s);
			if (whole && port > 0 && port <= 65535)
				return (unsigned)port;
		}
		if (try_reap(p, WNOHANG) != 0) {
			fprintf(stderr, "spawn: the agent exited before writing %s\n", path);
			return 0;
		}
		if (spawn_now_us() >= deadline) {
			fprintf(stderr, "spawn: no port in %s after %d ms\n", path,
			    timeout_ms);
			return 0;
		}
		sleep_ms(10);
	}
}

struct http_body {
	char	*data;
	size_t	 len, cap;
};

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct http_body *b = arg;
	size_t len = size * n;

	if (b->len + len + 1 > HTTP_BODY_MAX)
		return 0;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 8192;
		char *nd;

		while (cap < b->len + len + 1)
			cap *= 2;
		if ((nd = realloc(b->data, cap)) == NULL)
			return 0;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

int
spawn_http_get(unsigned port, const char *path, long *status, char **body)
{
	struct http_body b = { NULL, 0, 0 };
	char url[256], errbuf[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	CURLcode rc;

	*status = 0;
	*body = NULL;
	if (e == NULL)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(e);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(e);
	if (rc != CURLE_OK) {
		fprintf(stderr, "spawn: GET %s: %s\n", url,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		free(b.data);
		return -1;
	}
	if (b.data == NULL && (b.data = calloc(1, 1)) == NULL)
		return -1;
	*body = b.data;
	return 0;
}
