/* netaddr: "host:port" listen addresses as configs write them. */
#ifndef VANTAGE_NETADDR_H
#define VANTAGE_NETADDR_H

#include <stddef.h>

/* Split "host:port" or "[v6]:port" into host (hostlen bytes, brackets
 * removed) and port (0-65535, digits only). Returns 0 or -1. */
int netaddr_split(const char *addr, char *host, size_t hostlen, unsigned *port);

#endif
