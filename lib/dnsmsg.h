/* dnsmsg: the DNS wire format (RFC 1035, EDNS0 from RFC 6891): build a
 * query, parse an answer, and the names of types and response codes. Pure
 * functions without I/O: the dns probe kind (agent/probe_dns.c) sends and
 * receives, the config (lib/checkconf.c) uses the name tables. */
#ifndef VANTAGE_DNSMSG_H
#define VANTAGE_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSMSG_MAX_ANSWERS	32	/* answer records kept (the rest counted) */
#define DNSMSG_UDP_SIZE		1232	/* EDNS0 payload size we advertise */
#define DNSMSG_NAME_MAX		256	/* presentation form, with NUL */
#define DNSMSG_DATA_MAX		512	/* record data, presentation form */

enum {
	DNS_TYPE_A = 1, DNS_TYPE_NS = 2, DNS_TYPE_CNAME = 5, DNS_TYPE_SOA = 6,
	DNS_TYPE_MX = 15, DNS_TYPE_TXT = 16, DNS_TYPE_AAAA = 28, DNS_TYPE_OPT = 41
};

enum {
	DNS_RCODE_NOERROR = 0, DNS_RCODE_FORMERR = 1, DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3, DNS_RCODE_NOTIMP = 4, DNS_RCODE_REFUSED = 5
};

/* One resource record of the answer section, in presentation form. */
struct dnsmsg_rr {
	char		name[DNSMSG_NAME_MAX];	/* owner, no trailing dot */
	int		type;
	uint32_t	ttl;			/* seconds */
	char		data[DNSMSG_DATA_MAX];	/* address, name, or the TXT
						 * strings joined */
};

/* A parsed response. */
struct dnsmsg_answer {
	uint16_t		id;
	int			rcode;		/* with the EDNS0 extended bits */
	bool			qr, tc, aa, ra;
	char			qname[DNSMSG_NAME_MAX];	/* the question echoed */
	int			qtype;
	struct dnsmsg_rr	an[DNSMSG_MAX_ANSWERS];
	size_t			nan;		/* records kept in an[] */
	size_t			nan_total;	/* answer records in the message */
};

/* The mnemonic of a type ("A", "TXT"), or "TYPEnn" written into buf. */
const char *dnsmsg_type_name(int type, char *buf, size_t len);
/* A type a check may query (A, AAAA, CNAME, TXT, NS; case-insensitive):
 * its number, or -1. */
int dnsmsg_type_parse(const char *s);
/* The mnemonic of a response code ("NXDOMAIN"), or "RCODEnn" in buf. */
const char *dnsmsg_rcode_name(int rcode, char *buf, size_t len);
/* NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED (case-insensitive):
 * the code, or -1. */
int dnsmsg_rcode_parse(const char *s);
/* Is s a name that can be queried: 1-253 characters, labels of 1-63 bytes
 * without spaces, control characters or backslashes, one trailing dot
 * allowed? */
bool dnsmsg_valid_name(const char *s);
/* Do two names match (ASCII case-insensitive, a trailing dot ignored)? */
bool dnsmsg_name_eq(const char *a, const char *b);

/* The first "nameserver" address of a resolv.conf text into out (an IP
 * literal, without any %scope). 0, or -1 if there is none. */
int dnsmsg_resolv_conf(const char *text, char *out, size_t outlen);

/* Write a query for name/type with id into out (cap bytes): recursion
 * desired, plus an EDNS0 OPT record when edns. Returns the length, or -1
 * if name is not valid or cap too small. */
int dnsmsg_build_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
    int type, bool edns);
/* Parse a response of len bytes into a (zeroed first). Returns 0, or -1
 * with what is wrong in err (truncated, a compression loop, not a
 * response, ...). Records beyond DNSMSG_MAX_ANSWERS are counted only. */
int dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg_answer *a,
    char *err, size_t errlen);

#endif
