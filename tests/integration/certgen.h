/* certgen: test certificates made at test time with libcrypto (EC P-256):
 * a CA and server certificates for the TLS error classes. */
#ifndef VANTAGE_CERTGEN_H
#define VANTAGE_CERTGEN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum certgen_kind {
	CERTGEN_VALID,		/* CA-signed, SAN 127.0.0.1 + localhost, 30 days */
	CERTGEN_EXPIRED,	/* CA-signed, right SAN, notAfter a day ago */
	CERTGEN_SELF_SIGNED,	/* its own issuer, right SAN */
	CERTGEN_WRONG_HOST,	/* CA-signed, SAN wrong.example only */
	CERTGEN_COUNT
};

struct certgen_pair {
	char	cert[PATH_MAX];		/* PEM certificate file */
	char	key[PATH_MAX];		/* PEM private key file (PKCS#8) */
	int64_t	not_after;		/* Unix seconds */
};

struct certgen_set {
	char			ca_file[PATH_MAX];	/* PEM CA certificate */
	char			ca_key[PATH_MAX];	/* its key (certgen_make_leaf) */
	struct certgen_pair	pair[CERTGEN_COUNT];
};

/* Make the CA and one certificate and key per certgen_kind, written as PEM
 * files into dir (which must exist). Returns 0, or -1 with a message in
 * err. Nothing to free; the files are the caller's to remove. */
int certgen_make(const char *dir, struct certgen_set *out, char *err,
    size_t errlen);
/* One more server certificate signed by the CA of cs (SAN 127.0.0.1 and
 * localhost), valid from a day ago until not_after (Unix seconds), written
 * as dir/NAME.crt and dir/NAME.key; its PEM certificate file gets the CA's
 * certificate appended when with_chain (a server sends both). 0, or -1
 * with a message in err. */
int certgen_make_leaf(const struct certgen_set *cs, const char *dir,
    const char *name, int64_t not_after, int with_chain,
    struct certgen_pair *out, char *err, size_t errlen);

#endif
