/* dnsmsg: DNS queries and answers on the wire (RFC 1035, 3597, 6891). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dnsmsg.h"

#define HDR_LEN		12
#define MAX_JUMPS	64	/* compression pointers followed per name */

static const struct {
	const char	*name;
	int		 type;
	bool		 query;		/* a check may ask for it */
} types[] = {
	{ "A", DNS_TYPE_A, true },
	{ "NS", DNS_TYPE_NS, true },
	{ "CNAME", DNS_TYPE_CNAME, true },
	{ "SOA", DNS_TYPE_SOA, false },
	{ "MX", DNS_TYPE_MX, false },
	{ "TXT", DNS_TYPE_TXT, true },
	{ "AAAA", DNS_TYPE_AAAA, true },
	{ "OPT", DNS_TYPE_OPT, false },
};

static const char *const rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
dnsmsg_type_name(int type, char *buf, size_t len)
{
	for (size_t i = 0; i < NELEM(types); i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, len, "TYPE%d", type);
	return buf;
}

int
dnsmsg_type_parse(const char *s)
{
	for (size_t i = 0; i < NELEM(types); i++)
		if (types[i].query && strcasecmp(types[i].name, s) == 0)
			return types[i].type;
	return -1;
}

const char *
dnsmsg_rcode_name(int rcode, char *buf, size_t len)
{
	if (rcode >= 0 && (size_t)rcode < NELEM(rcodes))
		return rcodes[rcode];
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

int
dnsmsg_rcode_parse(const char *s)
{
	for (size_t i = 0; i < NELEM(rcodes); i++)
		if (strcasecmp(rcodes[i], s) == 0)
			return (int)i;
	return -1;
}

bool
dnsmsg_valid_name(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (strcmp(s, ".") == 0)
		return true;		/* the root */
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;	/* empty label */
			label = 0;
			continue;
		}
		if (c <= 0x20 || c == 0x7f || c == '\\')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;	/* "a.." has an empty last label */
}

bool
dnsmsg_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
dnsmsg_build_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
    int type, bool edns)
{
	size_t n = HDR_LEN, len;
	const char *p = name;

	if (!dnsmsg_valid_name(name))
		return -1;
	len = strlen(name);
	if (cap < HDR_LEN + len + 2 + 4 + (edns ? 11 : 0))
		return -1;
	memset(out, 0, HDR_LEN);
	put16(out, id);
	put16(out + 2, 0x0100);		/* RD: recursion desired */
	put16(out + 4, 1);		/* one question */
	put16(out + 10, edns ? 1 : 0);	/* the OPT record */
	while (*p && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	put16(out + n, (unsigned)type);
	put16(out + n + 2, 1);		/* class IN */
	n += 4;
	if (edns) {
		out[n++] = 0;		/* root owner */
		put16(out + n, DNS_TYPE_OPT);
		put16(out + n + 2, DNSMSG_UDP_SIZE);	/* class: payload size */
		memset(out + n + 4, 0, 6);	/* ext rcode, version, flags, rdlen */
		n += 10;
	}
	return (int)n;
}

/* Append one label byte in presentation form (RFC 1035 5.1 escapes). */
static size_t
put_label_byte(char *out, size_t o, size_t cap, unsigned char c)
{
	char tmp[5];
	size_t k;

	if (c == '.' || c == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		k = 2;
	} else if (c <= 0x20 || c >= 0x7f) {
		snprintf(tmp, sizeof(tmp), "\\%03u", c);
		k = 4;
	} else {
		tmp[0] = (char)c;
		k = 1;
	}
	if (o + k < cap) {
		memcpy(out + o, tmp, k);
		o += k;
	}
	return o;
}

/* Read the (possibly compressed) name at *off; *off moves past it in the
 * message (not past the target of a pointer). 0 or -1. */
static int
read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t cap,
    char *err, size_t errlen)
{
	size_t p = *off, o = 0, total = 0;
	int jumps = 0;
	bool jumped = false;

	for (;;) {
		unsigned l;

		if (p >= len) {
			snprintf(err, errlen, "name runs past the end of the message");
			return -1;
		}
		l = msg[p];
		if ((l & 0xC0) == 0xC0) {
			size_t target;

			if (p + 1 >= len) {
				snprintf(err, errlen, "compression pointer cut off");
				return -1;
			}
			target = (size_t)(l & 0x3F) << 8 | msg[p + 1];
			if (++jumps > MAX_JUMPS || target >= p) {
				snprintf(err, errlen, "bad compression pointer (loop or "
				    "forward reference)");
				return -1;
			}
			if (!jumped)
				*off = p + 2;
			jumped = true;
			p = target;
			continue;
		}
		if ((l & 0xC0) != 0) {
			snprintf(err, errlen, "unknown label type 0x%02x", l);
			return -1;
		}
		p++;
		if (l == 0)
			break;
		if (p + l > len) {
			snprintf(err, errlen, "label runs past the end of the message");
			return -1;
		}
		total += l + 1;
		if (total > 255) {
			snprintf(err, errlen, "name longer than 255 bytes");
			return -1;
		}
		if (o > 0 && o + 1 < cap)
			out[o++] = '.';
		for (unsigned i = 0; i < l; i++)
			o = put_label_byte(out, o, cap, msg[p + i]);
		p += l;
	}
	if (!jumped)
		*off = p;
	out[o < cap ? o : cap - 1] = '\0';
	return 0;
}

/* Presentation form of one record's data. 0 or -1. */
static int
rdata_text(const uint8_t *msg, size_t len, size_t off, size_t rdlen, int type,
    char *out, size_t cap, char *err, size_t errlen)
{
	const uint8_t *rd = msg + off;
	size_t p, o = 0;

	out[0] = '\0';
	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (rdlen != (type == DNS_TYPE_A ? 4u : 16u)) {
			snprintf(err, errlen, "%s record of %zu bytes",
			    type == DNS_TYPE_A ? "A" : "AAAA", rdlen);
			return -1;
		}
		inet_ntop(type == DNS_TYPE_A ? AF_INET : AF_INET6, rd, out,
		    (socklen_t)cap);
		return 0;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
		p = off;
		if (read_name(msg, len, &p, out, cap, err, errlen) < 0)
			return -1;
		if (p > off + rdlen) {
			snprintf(err, errlen, "name runs past its record");
			return -1;
		}
		return 0;
	case DNS_TYPE_MX: {
		char host[DNSMSG_NAME_MAX];

		if (rdlen < 3) {
			snprintf(err, errlen, "MX record of %zu bytes", rdlen);
			return -1;
		}
		p = off + 2;
		if (read_name(msg, len, &p, host, sizeof(host), err, errlen) < 0)
			return -1;
		snprintf(out, cap, "%u %s", get16(rd), host);
		return 0;
	}
	case DNS_TYPE_TXT:
		/* the character-strings joined, as SPF and most readers do */
		for (p = 0; p < rdlen; ) {
			size_t l = rd[p++];

			if (p + l > rdlen) {
				snprintf(err, errlen, "TXT string runs past its record");
				return -1;
			}
			for (size_t i = 0; i < l && o + 1 < cap; i++)
				out[o++] = rd[p + i] ? (char)rd[p + i] : '?';
			p += l;
		}
		out[o] = '\0';
		return 0;
	default:
		/* RFC 3597: \# length hex */
		o = (size_t)snprintf(out, cap, "\\# %zu", rdlen);
		for (p = 0; p < rdlen && o + 4 < cap; p++)
			o += (size_t)snprintf(out + o, cap - o, "%s%02x", p ? "" : " ", rd[p]);
		return 0;
	}
}

/* Parse one record at *off into rr (rr NULL: skip it). 0 or -1. */
static int
read_rr(const uint8_t *msg, size_t len, size_t *off, struct dnsmsg_rr *rr,
    int *type, uint32_t *ttl, char *err, size_t errlen)
{
	char name[DNSMSG_NAME_MAX];
	size_t rdlen;

	if (read_name(msg, len, off, name, sizeof(name), err, errlen) < 0)
		return -1;
	if (*off + 10 > len) {
		snprintf(err, errlen, "record header cut off");
		return -1;
	}
	*type = (int)get16(msg + *off);
	*ttl = get32(msg + *off + 4);
	rdlen = get16(msg + *off + 8);
	*off += 10;
	if (*off + rdlen > len) {
		snprintf(err, errlen, "record data runs past the end of the message");
		return -1;
	}
	if (rr != NULL) {
		snprintf(rr->name, sizeof(rr->name), "%s", name);
		rr->type = *type;
		rr->ttl = *ttl & 0x7fffffffu;	/* RFC 2181: top bit set means 0 */
		if (*ttl & 0x80000000u)
			rr->ttl = 0;
		if (rdata_text(msg, len, *off, rdlen, *type, rr->data, sizeof(rr->data),
		    err, errlen) < 0)
			return -1;
	}
	*off += rdlen;
	return 0;
}

int
dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg_answer *a,
    char *err, size_t errlen)
{
	unsigned flags, qd, an, ns, ar;
	size_t off = HDR_LEN;
	char sub[160];

	memset(a, 0, sizeof(*a));
	if (len < HDR_LEN) {
		snprintf(err, errlen, "message of %zu bytes is shorter than a header", len);
		return -1;
	}
	a->id = (uint16_t)get16(msg);
	flags = get16(msg + 2);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	a->qr = (flags & 0x8000) != 0;
	a->aa = (flags & 0x0400) != 0;
	a->tc = (flags & 0x0200) != 0;
	a->ra = (flags & 0x0080) != 0;
	a->rcode = (int)(flags & 0x000F);
	if (!a->qr) {
		snprintf(err, errlen, "not a response (QR bit clear)");
		return -1;
	}
	if (qd > 1) {
		snprintf(err, errlen, "%u questions in the response", qd);
		return -1;
	}
	if (qd == 1) {
		if (read_name(msg, len, &off, a->qname, sizeof(a->qname), sub,
		    sizeof(sub)) < 0 || off + 4 > len) {
			snprintf(err, errlen, "question: %s", off + 4 > len ?
			    "cut off" : sub);
			return -1;
		}
		a->qtype = (int)get16(msg + off);
		off += 4;
	}
	a->nan_total = an;
	for (unsigned i = 0; i < an; i++) {
		struct dnsmsg_rr *rr = a->nan < DNSMSG_MAX_ANSWERS ? &a->an[a->nan] : NULL;
		uint32_t ttl;
		int type;

		if (read_rr(msg, len, &off, rr, &type, &ttl, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "answer %u: %s", i + 1, sub);
			return -1;
		}
		if (rr != NULL)
			a->nan++;
	}
	/* authority and additional: only for the OPT record's extended rcode;
	 * a damaged tail does not spoil the answers already read */
	for (unsigned i = 0; i < ns + ar; i++) {
		uint32_t ttl;
		int type;

		if (read_rr(msg, len, &off, NULL, &type, &ttl, sub, sizeof(sub)) < 0)
			break;
		if (i >= ns && type == DNS_TYPE_OPT)
			a->rcode |= (int)((ttl >> 24) & 0xFF) << 4;
	}
	return 0;
}

int
dnsmsg_resolv_conf(const char *text, char *out, size_t outlen)
{
	const char *line = text;

	while (line != NULL && *line) {
		const char *nl = strchr(line, '\n'), *p = line;
		size_t len = nl ? (size_t)(nl - line) : strlen(line), n;
		char addr[64];
		unsigned char bin[16];

		while (p < line + len && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(line + len - p) > 10 && strncmp(p, "nameserver", 10) == 0 &&
		    (p[10] == ' ' || p[10] == '\t')) {
			p += 10;
			while (p < line + len && (*p == ' ' || *p == '\t'))
				p++;
			n = strcspn(p, " \t\r\n#;%");
			if (n > 0 && n < sizeof(addr) && p + n <= line + len) {
				memcpy(addr, p, n);
				addr[n] = '\0';
				if ((inet_pton(AF_INET, addr, bin) == 1 ||
				    inet_pton(AF_INET6, addr, bin) == 1) && n < outlen) {
					memcpy(out, addr, n + 1);
					return 0;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}
