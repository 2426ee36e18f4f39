/* probe_tcp: the tcp kind. curl connects (CONNECT_ONLY: name resolution,
 * timeouts and phases as for every kind); with send or a banner to expect,
 * the connected socket is duplicated before curl lets go of it and the rest
 * runs on that descriptor, polled by the scheduler's loop (never a blocking
 * read). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "timeutil.h"
#include "xmalloc.h"

#define TCP_BANNER_MAX	4096	/* bytes read at most while waiting */
#define TCP_BANNER_KEEP	512	/* bytes of it in the record */

struct tcp_state {
	int	 fd;			/* our duplicate of curl's socket */
	size_t	 sent;			/* bytes of conf->tcp.send sent */
	bool	 sending;
	int64_t	 connected_us, first_byte_us;	/* monotonic */
	size_t	 len;
	char	 buf[TCP_BANNER_MAX + 1];
};

#define SETOPT(opt, val) do {						\
	CURLcode _c = curl_easy_setopt(e, opt, val);			\
	if (_c != CURLE_OK) {						\
		snprintf(err, errlen, "%s: %s", #opt, curl_easy_strerror(_c)); \
		goto fail;						\
	}								\
} while (0)

int
probe_tcp_start(struct probe_run *run, char *err, size_t errlen)
{
	const struct check_config *cc = run->conf;
	bool v6 = strchr(cc->host, ':') != NULL;
	struct tcp_state *st = xcalloc(1, sizeof(*st));
	CURL *e;
	char url[512];

	st->fd = -1;
	run->priv = st;
	if ((e = run->host->easy_get(run->host->ctx)) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	/* any scheme works with CONNECT_ONLY; http sends nothing by itself */
	snprintf(url, sizeof(url), "http://%s%s%s:%d/", v6 ? "[" : "", cc->host,
	    v6 ? "]" : "", cc->port);
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PRIVATE, run);
	SETOPT(CURLOPT_ERRORBUFFER, run->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_CONNECT_ONLY, 1L);
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_PROTOCOLS_STR, "http");
	SETOPT(CURLOPT_TIMEOUT_MS, (long)cc->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)cc->timeout_ms);
	SETOPT(CURLOPT_FRESH_CONNECT, 1L);
	SETOPT(CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	SETOPT(CURLOPT_IPRESOLVE, cc->ip == CHECK_IP_V4 ? CURL_IPRESOLVE_V4 :
	    cc->ip == CHECK_IP_V6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER);
	if (run->host->easy_add(run->host->ctx, run, e) < 0) {
		snprintf(err, errlen, "cannot add the transfer to the loop");
		return -1;
	}
	return 0;
fail:
	curl_easy_cleanup(e);
	return -1;
}

/* Up to RESULT_ECHO_MAX characters of s, with control bytes escaped, then
 * "..." if longer, for a message. */
static void
excerpt(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o >= RESULT_ECHO_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\r' || c == '\n' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* The attempt ends: timings and the banner seen. */
static void
tcp_end(struct probe_run *run)
{
	struct tcp_state *st = run->priv;
	struct result *r = &run->res;
	int64_t now = time_mono_us();

	r->total_us = now - run->attempt_start_us;
	if (st->first_byte_us > 0) {
		r->processing_us = st->first_byte_us - st->connected_us;
		r->transfer_us = now - st->first_byte_us;
	} else if (st->connected_us > 0)
		r->processing_us = now - st->connected_us;
	r->bytes = (int64_t)st->len;
	if (run->conf->tcp.banner_regex != NULL)
		result_set_extra(r, "banner", result_text_json(st->buf,
		    st->len < TCP_BANNER_KEEP ? st->len : TCP_BANNER_KEEP));
}

static bool
banner_matches(struct probe_run *run)
{
	struct tcp_state *st = run->priv;

	st->buf[st->len] = '\0';
	return regexec(&run->conf->tcp.banner_re, st->buf, 0, NULL, 0) == 0;
}

/* Send what is left of conf->tcp.send. 0 (all sent or would block) or -1. */
static int
send_more(struct probe_run *run)
{
	struct tcp_state *st = run->priv;
	const char *data = run->conf->tcp.send;
	size_t len = strlen(data);

	while (st->sent < len) {
		ssize_t n = send(st->fd, data + st->sent, len - st->sent, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tcp_end(run);
			result_fail(&run->res, ERRCLASS_CONNECT, "sending to %s:%d: %s",
			    run->conf->host, run->conf->port, strerror(errno));
			return -1;
		}
		st->sent += (size_t)n;
	}
	st->sending = false;
	return 0;
}

/* After a send: wait for the banner, or done. Returns true when over. */
static bool
after_send(struct probe_run *run)
{
	struct tcp_state *st = run->priv;

	if (st->sending) {
		run->io_events = POLLOUT;
		return false;
	}
	if (run->conf->tcp.banner_regex == NULL) {
		tcp_end(run);
		return true;		/* sent: that is all that was asked */
	}
	run->io_events = POLLIN;
	return false;
}

/* Read what is there. Returns true when the attempt is over. */
static bool
read_banner(struct probe_run *run)
{
	struct tcp_state *st = run->priv;
	const struct check_config *cc = run->conf;
	char ex[400];

	for (;;) {
		ssize_t n = recv(st->fd, st->buf + st->len, TCP_BANNER_MAX - st->len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n < 0) {
			tcp_end(run);
			result_fail(&run->res, ERRCLASS_CONNECT, "reading from %s:%d: %s",
			    cc->host, cc->port, strerror(errno));
			return true;
		}
		if (n == 0) {
			tcp_end(run);
			excerpt(st->buf, st->len, ex, sizeof(ex));
			if (st->len == 0)
				result_fail(&run->res, ERRCLASS_ASSERTION, "the server closed "
				    "the connection without sending anything (expected /%s/)",
				    cc->tcp.banner_regex);
			else
				result_fail(&run->res, ERRCLASS_ASSERTION, "banner \"%s\" does "
				    "not match /%s/ (connection closed)", ex,
				    cc->tcp.banner_regex);
			return true;
		}
		if (st->first_byte_us == 0)
			st->first_byte_us = time_mono_us();
		for (ssize_t i = 0; i < n; i++)
			if (st->buf[st->len + (size_t)i] == '\0')
				st->buf[st->len + (size_t)i] = '?';
		st->len += (size_t)n;
		if (banner_matches(run)) {
			tcp_end(run);
			return true;
		}
		if (st->len == TCP_BANNER_MAX) {
			tcp_end(run);
			excerpt(st->buf, st->len, ex, sizeof(ex));
			result_fail(&run->res, ERRCLASS_ASSERTION, "banner \"%s\" does not "
			    "match /%s/ (%d bytes read)", ex, cc->tcp.banner_regex,
			    TCP_BANNER_MAX);
			return true;
		}
	}
}

static bool
connected(struct probe_run *run, CURL *e, CURLcode code)
{
	struct tcp_state *st = run->priv;
	struct result *r = &run->res;
	const struct check_config *cc = run->conf;
	curl_socket_t sock = CURL_SOCKET_BAD;
	char *ip = NULL;
	int fl;

	r->ok = true;
	r->error_class = ERRCLASS_NONE;
	probe_fill_phases(r, e);
	r->tls_us = r->processing_us = r->transfer_us = 0;
	if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(r->ip, sizeof(r->ip), "%s", ip);
	if (code != CURLE_OK) {
		if (r->total_us == 0 || code == CURLE_OPERATION_TIMEDOUT)
			r->total_us = time_mono_us() - run->attempt_start_us;
		result_fail(r, probe_errclass(code), "%s", run->errbuf[0] ?
		    run->errbuf : curl_easy_strerror(code));
		return true;
	}
	st->connected_us = time_mono_us();
	if (cc->tcp.send == NULL && cc->tcp.banner_regex == NULL) {
		r->total_us = st->connected_us - run->attempt_start_us;
		return true;		/* connecting was the whole check */
	}
	/* curl closes its socket when the handle leaves the multi: keep a
	 * duplicate of our own */
	if (curl_easy_getinfo(e, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD || (st->fd = fcntl(sock, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (fl = fcntl(st->fd, F_GETFL)) < 0 ||
	    fcntl(st->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		tcp_end(run);
		result_fail(r, ERRCLASS_INTERNAL, "cannot take over the connected "
		    "socket: %s", strerror(errno));
		return true;
	}
	run->io_fd = st->fd;
	run->io_deadline_us = run->attempt_start_us + cc->timeout_ms * 1000;
	if (cc->tcp.send != NULL) {
		st->sending = true;
		if (send_more(run) < 0)
			return true;
	}
	return after_send(run);
}

bool
probe_tcp_step(struct probe_run *run, enum probe_event ev, CURL *e, CURLcode code)
{
	struct tcp_state *st = run->priv;
	const struct check_config *cc = run->conf;
	char ex[400];

	switch (ev) {
	case PROBE_EV_EASY:
		return connected(run, e, code);
	case PROBE_EV_IO:
		if (st->sending) {
			if (send_more(run) < 0)
				return true;
			return after_send(run);
		}
		return read_banner(run);
	case PROBE_EV_TIMEOUT:
	default:
		tcp_end(run);
		if (st->sending)
			result_fail(&run->res, ERRCLASS_TIMEOUT, "sending to %s:%d did "
			    "not finish within %lld ms", cc->host, cc->port,
			    (long long)cc->timeout_ms);
		else if (st->len == 0)
			result_fail(&run->res, ERRCLASS_TIMEOUT, "no banner within %lld ms "
			    "(expected /%s/)", (long long)cc->timeout_ms,
			    cc->tcp.banner_regex);
		else {
			excerpt(st->buf, st->len, ex, sizeof(ex));
			result_fail(&run->res, ERRCLASS_ASSERTION, "banner \"%s\" does not "
			    "match /%s/ (waited %lld ms)", ex, cc->tcp.banner_regex,
			    (long long)cc->timeout_ms);
		}
		return true;
	}
}

void
probe_tcp_cleanup(struct probe_run *run)
{
	struct tcp_state *st = run->priv;

	if (st == NULL)
		return;
	if (st->fd >= 0)
		close(st->fd);
	free(st);
	run->priv = NULL;
}
