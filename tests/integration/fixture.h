/* fixture: in-process HTTP(S) servers on 127.0.0.1 for the agent to probe,
 * plus listeners that never answer and ports that refuse. */
#ifndef VANTAGE_FIXTURE_H
#define VANTAGE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct fixture;
struct fixture_raw;

#define FIXTURE_BIG_BYTES	(50LL * 1024 * 1024)

/* Start a server on 127.0.0.1 with a kernel-chosen port. cert_pem and
 * key_pem (PEM text, both or neither): serve HTTPS with them; NULL: plain
 * HTTP. Routes:
 *   /healthz      200 {"status":"ok","checks":{"db":"up"}} (see
 *                 fixture_set_health)
 *   /status/N     an empty answer with status N
 *   /slow?ms=N    sleeps N ms, then 200
 *   /redirect     302 to /healthz
 *   /headers      200 with Cache-Control, CF-Cache-Status and Age
 *   /big          200 with a FIXTURE_BIG_BYTES body made in chunks
 * anything else 404. Returns the server (stop with fixture_stop), or NULL
 * with a message in err. */
struct fixture *fixture_start(const char *cert_pem, const char *key_pem,
    char *err, size_t errlen);
/* Make /healthz answer status (with a "down" body) from now on; 200
 * restores it. */
void fixture_set_health(struct fixture *f, unsigned status);
/* The port the server listens on. */
unsigned fixture_port(const struct fixture *f);
/* Requests seen whose path (without query) is path. */
int64_t fixture_hits(struct fixture *f, const char *path);
/* Stop the server, waiting for connections in progress; NULL-safe. */
void fixture_stop(struct fixture *f);

/* Answer path (without query) with status, one extra header (hname NULL:
 * none) and the len bytes of body (which may hold NUL bytes) from now on,
 * before the routes above; body NULL removes the route. At most 16
 * routes. 0, or -1 when full. */
int fixture_route(struct fixture *f, const char *path, unsigned status,
    const char *hname, const char *hvalue, const char *body, size_t len);
/* Keep the value of request header name as requests come (the last one
 * wins); fixture_header_seen reads it. */
void fixture_watch_header(struct fixture *f, const char *name);
/* The watched header's last value (caller frees), or NULL if none came. */
char *fixture_header_seen(struct fixture *f);

/* A raw TCP server on 127.0.0.1 for answers libmicrohttpd would never
 * send (bad chunked encoding, oversized headers): every connection gets
 * the len bytes of resp once its request headers are read, then is
 * closed. Returns the server (stop with fixture_raw_stop), or NULL with a
 * message in err. */
struct fixture_raw *fixture_raw_start(const char *resp, size_t len, char *err,
    size_t errlen);
/* Its port. */
unsigned fixture_raw_port(const struct fixture_raw *r);
/* Stop it (waits for the connection in progress); NULL-safe. */
void fixture_raw_stop(struct fixture_raw *r);

/* A socket on 127.0.0.1 that listens but never accepts or answers, so a
 * client connects and then waits for ever. Returns the descriptor (close
 * it when done) and the port in *port, or -1. */
int fixture_blackhole(unsigned *port);
/* A port on 127.0.0.1 that nothing listens on (bound, then closed), so a
 * connect is refused. Returns the port, or 0 on failure. */
unsigned fixture_refused_port(void);

#endif
