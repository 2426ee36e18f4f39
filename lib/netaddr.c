/* netaddr: listen address parsing shared by the agent and the collector. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

int
netaddr_split(const char *addr, char *host, size_t hostlen, unsigned *port)
{
	const char *colon = strrchr(addr, ':');
	size_t hl;
	char *end;
	long p;

	if (colon == NULL || !isdigit((unsigned char)colon[1]))
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535)
		return -1;
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return 0;
}
