/* probe_dns: the dns kind: one question over UDP to a given server or the
 * system resolver (the first nameserver of /etc/resolv.conf), on a
 * non-blocking socket the scheduler polls. The query is sent again once
 * at half the timeout (UDP may lose it); answers whose id or question do
 * not match are ignored. No TCP fallback: a truncated answer fails. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "dnsmsg.h"
#include "probe.h"
#include "timeutil.h"
#include "xmalloc.h"

#define RESOLV_CONF	"/etc/resolv.conf"
#define DNS_RECV_MAX	4096

struct dns_state {
	int			 fd;
	uint16_t		 id;
	uint8_t			 query[512];
	int			 qlen;
	int64_t			 sent_us;	/* first send, monotonic */
	int64_t			 resend_us;	/* 0: no resend left */
	int64_t			 end_us;	/* the attempt's deadline */
	char			 server[80];	/* "ip:port" as shown */
	char			 ip[64];
	struct dnsmsg_answer	 ans;
};

/* "1.2.3.4:53", "[::1]:53" into a socket address. 0 or -1. */
static int
server_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
    char *ip, size_t iplen)
{
	const char *colon = strrchr(s, ':');
	size_t hl;
	char host[64];
	long port;

	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, NULL, 10);
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host) || port < 1 || port > 65535)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
	} else
		return -1;
	snprintf(ip, iplen, "%s", host);
	return 0;
}

/* The system resolver: the first nameserver in /etc/resolv.conf, else
 * 127.0.0.1 (what the C library falls back to). */
static void
system_resolver(char *out, size_t len)
{
	char text[8192], addr[64];
	FILE *fp = fopen(RESOLV_CONF, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
	}
	text[n] = '\0';
	if (dnsmsg_resolv_conf(text, addr, sizeof(addr)) < 0)
		snprintf(addr, sizeof(addr), "127.0.0.1");
	snprintf(out, len, "%s%s%s:53", strchr(addr, ':') ? "[" : "", addr,
	    strchr(addr, ':') ? "]" : "");
}

static int
send_query(struct dns_state *st)
{
	ssize_t n;

	do
		n = send(st->fd, st->query, (size_t)st->qlen, 0);
	while (n < 0 && errno == EINTR);
	return n == st->qlen ? 0 : -1;
}

int
probe_dns_start(struct probe_run *run, char *err, size_t errlen)
{
	const struct dns_check *d = &run->conf->dns;
	struct dns_state *st = xcalloc(1, sizeof(*st));
	struct sockaddr_storage ss;
	socklen_t sl;
	int64_t timeout_us = run->conf->timeout_ms * 1000;

	st->fd = -1;
	run->priv = st;
	if (d->server)
		snprintf(st->server, sizeof(st->server), "%s", d->server);
	else
		system_resolver(st->server, sizeof(st->server));
	if (server_addr(st->server, &ss, &sl, st->ip, sizeof(st->ip)) < 0) {
		snprintf(err, errlen, "bad resolver address %s", st->server);
		return -1;
	}
	if (RAND_bytes((unsigned char *)&st->id, sizeof(st->id)) != 1)
		st->id = (uint16_t)(time_mono_us() ^ (int64_t)getpid());
	if ((st->qlen = dnsmsg_build_query(st->query, sizeof(st->query), st->id,
	    d->name, d->type, true)) < 0) {
		snprintf(err, errlen, "cannot build a query for %s", d->name);
		return -1;
	}
	/* connected UDP: only the server's datagrams arrive, and an ICMP
	 * port-unreachable shows up as ECONNREFUSED */
	if ((st->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0 || connect(st->fd, (struct sockaddr *)&ss, sl) < 0) {
		snprintf(err, errlen, "UDP socket to %s: %s", st->server, strerror(errno));
		return -1;
	}
	st->sent_us = time_mono_us();
	if (send_query(st) < 0) {
		snprintf(err, errlen, "sending to %s: %s", st->server, strerror(errno));
		return -1;
	}
	st->end_us = run->attempt_start_us + timeout_us;
	st->resend_us = timeout_us >= 400000 ? run->attempt_start_us + timeout_us / 2 : 0;
	run->io_fd = st->fd;
	run->io_events = POLLIN;
	run->io_deadline_us = st->resend_us ? st->resend_us : st->end_us;
	snprintf(run->res.ip, sizeof(run->res.ip), "%.47s", st->ip);
	return 0;
}

/* Is rr's data the answer want (as written in answers_include)? */
static bool
answer_eq(int type, const char *data, const char *want)
{
	unsigned char a[16], b[16];

	if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
		int af = type == DNS_TYPE_A ? AF_INET : AF_INET6;

		return inet_pton(af, data, a) == 1 && inet_pton(af, want, b) == 1 &&
		    memcmp(a, b, type == DNS_TYPE_A ? 4 : 16) == 0;
	}
	if (type == DNS_TYPE_TXT)
		return strcmp(data, want) == 0;
	return dnsmsg_name_eq(data, want);
}

/* "192.0.2.1, 192.0.2.2" of the records of type (bounded). */
static void
list_of(const struct dnsmsg_answer *a, int type, char *out, size_t len)
{
	size_t off = 0, shown = 0;
	char one[RESULT_ECHO_MAX + 4];

	out[0] = '\0';
	for (size_t i = 0; i < a->nan; i++) {
		if (a->an[i].type != type)
			continue;
		if (shown == 3 || off + sizeof(one) + 8 > len) {
			snprintf(out + off, len - off, ", ...");
			break;
		}
		result_echo(one, sizeof(one), a->an[i].data, strlen(a->an[i].data));
		off += (size_t)snprintf(out + off, len - off, "%s%s", off ? ", " : "",
		    one);
		shown++;
	}
	if (off == 0)
		snprintf(out, len, "none");
}

static void
ttl_text(int64_t ms, char *out, size_t len)
{
	snprintf(out, len, "%llds", (long long)(ms / 1000));
}

/* Judge the answer against the expectations; fills run->res. */
static void
judge(struct probe_run *run)
{
	const struct dns_check *d = &run->conf->dns;
	struct dns_state *st = run->priv;
	const struct dnsmsg_answer *a = &st->ans;
	struct result *r = &run->res;
	char tb[16], rb[16], rb2[16], got[256], t1[24];
	char en[RESULT_ECHO_MAX + 4], ed[RESULT_ECHO_MAX + 4];
	json_t *arr = json_array();
	int64_t min_ttl = -1;
	size_t nmatch = 0;

	for (size_t i = 0; i < a->nan; i++) {
		const struct dnsmsg_rr *rr = &a->an[i];

		json_array_append_new(arr, json_pack("{s:o,s:s,s:I,s:o}",
		    "name", result_text_json(rr->name, strlen(rr->name)),
		    "type", dnsmsg_type_name(rr->type, tb, sizeof(tb)),
		    "ttl", (json_int_t)rr->ttl,
		    "data", result_text_json(rr->data, strlen(rr->data))));
		if (rr->type == d->type) {
			nmatch++;
			if (min_ttl < 0 || (int64_t)rr->ttl < min_ttl)
				min_ttl = rr->ttl;
		}
	}
	result_set_extra(r, "resolver", json_string(st->server));
	result_set_extra(r, "rcode", json_string(dnsmsg_rcode_name(a->rcode, rb,
	    sizeof(rb))));
	result_set_extra(r, "answers", arr);
	result_set_extra(r, "ttl", min_ttl >= 0 ? json_integer(min_ttl) : NULL);
	if (a->nan_total > a->nan)
		result_set_extra(r, "answers_total", json_integer((json_int_t)a->nan_total));
	r->ok = true;
	r->error_class = ERRCLASS_NONE;
	if (a->rcode != d->rcode) {
		result_fail(r, ERRCLASS_DNS, "%s %s: rcode %s, expected %s", d->name,
		    dnsmsg_type_name(d->type, tb, sizeof(tb)),
		    dnsmsg_rcode_name(a->rcode, rb, sizeof(rb)),
		    dnsmsg_rcode_name(d->rcode, rb2, sizeof(rb2)));
		return;
	}
	if (d->rcode != DNS_RCODE_NOERROR)
		return;
	if (nmatch == 0) {
		result_fail(r, ERRCLASS_DNS, "%s: no %s records in the answer (NODATA)",
		    d->name, dnsmsg_type_name(d->type, tb, sizeof(tb)));
		return;
	}
	for (size_t w = 0; w < d->nanswers; w++) {
		bool found = false;

		for (size_t i = 0; i < a->nan && !found; i++)
			found = a->an[i].type == d->type &&
			    answer_eq(d->type, a->an[i].data, d->answers[w]);
		if (!found) {
			list_of(a, d->type, got, sizeof(got));
			result_fail(r, ERRCLASS_DNS, "%s %s: %s is not in the answer "
			    "(got %s)", d->name, dnsmsg_type_name(d->type, tb, sizeof(tb)),
			    d->answers[w], got);
			return;
		}
	}
	for (size_t i = 0; i < a->nan; i++) {
		const struct dnsmsg_rr *rr = &a->an[i];
		int64_t ms = (int64_t)rr->ttl * 1000;

		if (rr->type != d->type)
			continue;
		if (d->ttl_min_ms >= 0 && ms < d->ttl_min_ms) {
			ttl_text(d->ttl_min_ms, t1, sizeof(t1));
			result_fail(r, ERRCLASS_DNS, "TTL of %s %s %s is %us, expected at "
			    "least %s", result_echo(en, sizeof(en), rr->name,
			    strlen(rr->name)), dnsmsg_type_name(rr->type, tb, sizeof(tb)),
			    result_echo(ed, sizeof(ed), rr->data, strlen(rr->data)),
			    rr->ttl, t1);
			return;
		}
		if (d->ttl_max_ms >= 0 && ms > d->ttl_max_ms) {
			ttl_text(d->ttl_max_ms, t1, sizeof(t1));
			result_fail(r, ERRCLASS_DNS, "TTL of %s %s %s is %us, expected at "
			    "most %s", result_echo(en, sizeof(en), rr->name,
			    strlen(rr->name)), dnsmsg_type_name(rr->type, tb, sizeof(tb)),
			    result_echo(ed, sizeof(ed), rr->data, strlen(rr->data)),
			    rr->ttl, t1);
			return;
		}
	}
}

static void
times(struct probe_run *run)
{
	struct dns_state *st = run->priv;
	int64_t now = time_mono_us();

	run->res.dns_us = now - st->sent_us;
	run->res.total_us = now - run->attempt_start_us;
}

/* Read datagrams; true once one answered our question. */
static bool
read_answer(struct probe_run *run)
{
	struct dns_state *st = run->priv;
	const struct dns_check *d = &run->conf->dns;
	uint8_t buf[DNS_RECV_MAX];
	char perr[160], tb[16];

	for (;;) {
		ssize_t n = recv(st->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n < 0) {
			times(run);
			result_fail(&run->res, ERRCLASS_CONNECT, "DNS server %s: %s%s",
			    st->server, strerror(errno), errno == ECONNREFUSED ?
			    " (nothing listens on that port)" : "");
			return true;
		}
		if (n < 12 || (uint16_t)(buf[0] << 8 | buf[1]) != st->id)
			continue;	/* not the answer to our query */
		if (dnsmsg_parse(buf, (size_t)n, &st->ans, perr, sizeof(perr)) < 0) {
			times(run);
			result_fail(&run->res, ERRCLASS_DNS, "malformed answer from %s: %s",
			    st->server, perr);
			return true;
		}
		if (st->ans.qtype != 0 && (st->ans.qtype != d->type ||
		    !dnsmsg_name_eq(st->ans.qname, d->name)))
			continue;	/* an answer to another question */
		times(run);
		if (st->ans.tc) {
			result_fail(&run->res, ERRCLASS_DNS, "%s %s: the answer from %s was "
			    "truncated (TC) and this agent does not retry over TCP",
			    d->name, dnsmsg_type_name(d->type, tb, sizeof(tb)), st->server);
			return true;
		}
		judge(run);
		return true;
	}
}

bool
probe_dns_step(struct probe_run *run, enum probe_event ev, CURL *e, CURLcode code)
{
	struct dns_state *st = run->priv;
	int64_t now = time_mono_us();
	char tb[16];

	if (ev == PROBE_EV_IO)
		return read_answer(run);
	/* PROBE_EV_TIMEOUT (there are no transfers) */
	if (st->resend_us > 0 && now < st->end_us) {
		st->resend_us = 0;
		(void)send_query(st);	/* a failed resend just means waiting */
		run->io_deadline_us = st->end_us;
		return false;
	}
	times(run);
	result_fail(&run->res, ERRCLASS_TIMEOUT, "no answer from %s within %lld ms "
	    "(%s %s)", st->server, (long long)run->conf->timeout_ms, run->conf->dns.name,
	    dnsmsg_type_name(run->conf->dns.type, tb, sizeof(tb)));
	(void)e;
	(void)code;
	return true;
}

void
probe_dns_cleanup(struct probe_run *run)
{
	struct dns_state *st = run->priv;

	if (st == NULL)
		return;
	if (st->fd >= 0)
		close(st->fd);
	free(st);
	run->priv = NULL;
}
