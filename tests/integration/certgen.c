/* certgen: a throwaway CA and server certificates for the TLS tests. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certgen.h"

#define DAY 86400

static void
ossl_err(char *err, size_t errlen, const char *what)
{
	char msg[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "unknown error");
	snprintf(err, errlen, "%s: %s", what, msg);
	ERR_clear_error();
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A certificate for key, signed by issuer_key (issuer NULL: self-signed). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *san, bool is_ca,
    time_t not_before, time_t not_after, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[8];
	BIGNUM *bn = NULL;

	if (x == NULL)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;		/* positive */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL ||
	    !X509_set_pubkey(x, key))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"Vantage tests", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0))
		goto fail;
	if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
		goto fail;
	if (add_ext(x, issuer ? issuer : x, NID_basic_constraints,
	    is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") < 0 ||
	    add_ext(x, issuer ? issuer : x, NID_key_usage, is_ca ?
	    "critical,keyCertSign,cRLSign" : "critical,digitalSignature") < 0 ||
	    add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash") < 0)
		goto fail;
	if (!is_ca && (add_ext(x, issuer ? issuer : x, NID_ext_key_usage,
	    "serverAuth") < 0 ||
	    add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san) < 0))
		goto fail;
	if (issuer && add_ext(x, issuer, NID_authority_key_identifier,
	    "keyid:always") < 0)
		goto fail;
	if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) == 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int
write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (fp == NULL)
		return -1;
	ok = cert ? PEM_write_X509(fp, cert) :
	    PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(fp) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int
certgen_make(const char *dir, struct certgen_set *out, char *err, size_t errlen)
{
	static const char *const names[CERTGEN_COUNT] = {
		"valid", "expired", "selfsigned", "wronghost"
	};
	time_t now = time(NULL);
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((ca_key = EVP_EC_gen("P-256")) == NULL) {
		ossl_err(err, errlen, "CA key");
		goto out;
	}
	if ((ca = make_cert(ca_key, "Vantage test CA", NULL, true, now - DAY,
	    now + 365 * DAY, NULL, NULL)) == NULL) {
		ossl_err(err, errlen, "CA certificate");
		goto out;
	}
	snprintf(out->ca_file, sizeof(out->ca_file), "%s/ca.pem", dir);
	snprintf(out->ca_key, sizeof(out->ca_key), "%s/ca.key", dir);
	if (write_pem(out->ca_file, ca, NULL) < 0 ||
	    write_pem(out->ca_key, NULL, ca_key) < 0) {
		snprintf(err, errlen, "cannot write %s", out->ca_file);
		goto out;
	}
	for (int k = 0; k < CERTGEN_COUNT; k++) {
		struct certgen_pair *p = &out->pair[k];
		const char *san = k == CERTGEN_WRONG_HOST ? "DNS:wrong.example" :
		    "IP:127.0.0.1,DNS:localhost";
		time_t nb = now - DAY, na = now + 30 * DAY;
		bool self = k == CERTGEN_SELF_SIGNED;

		if (k == CERTGEN_EXPIRED) {
			nb = now - 10 * DAY;
			na = now - DAY;
		}
		if ((key = EVP_EC_gen("P-256")) == NULL) {
			ossl_err(err, errlen, "server key");
			goto out;
		}
		if ((x = make_cert(key, k == CERTGEN_WRONG_HOST ? "wrong.example" :
		    "localhost", san, false, nb, na, self ? NULL : ca,
		    self ? NULL : ca_key)) == NULL) {
			ossl_err(err, errlen, names[k]);
			goto out;
		}
		snprintf(p->cert, sizeof(p->cert), "%s/%s.crt", dir, names[k]);
		snprintf(p->key, sizeof(p->key), "%s/%s.key", dir, names[k]);
		if (write_pem(p->cert, x, NULL) < 0 || write_pem(p->key, NULL, key) < 0) {
			snprintf(err, errlen, "cannot write %s", p->cert);
			goto out;
		}
		p->not_after = (int64_t)na;
		X509_free(x);
		x = NULL;
		EVP_PKEY_free(key);
		key = NULL;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

int
certgen_make_leaf(const struct certgen_set *cs, const char *dir, const char *name,
    int64_t not_after, int with_chain, struct certgen_pair *out, char *err,
    size_t errlen)
{
	time_t now = time(NULL);
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	FILE *fp;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((fp = fopen(cs->ca_file, "r")) != NULL) {
		ca = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if ((fp = fopen(cs->ca_key, "r")) != NULL) {
		ca_key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (ca == NULL || ca_key == NULL) {
		snprintf(err, errlen, "cannot read the CA from %s", cs->ca_file);
		goto out;
	}
	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (x = make_cert(key, "localhost", "IP:127.0.0.1,DNS:localhost", false,
	    now - DAY, (time_t)not_after, ca, ca_key)) == NULL) {
		ossl_err(err, errlen, name);
		goto out;
	}
	snprintf(out->cert, sizeof(out->cert), "%s/%s.crt", dir, name);
	snprintf(out->key, sizeof(out->key), "%s/%s.key", dir, name);
	if (write_pem(out->cert, x, NULL) < 0 || write_pem(out->key, NULL, key) < 0) {
		snprintf(err, errlen, "cannot write %s", out->cert);
		goto out;
	}
	if (with_chain) {
		if ((fp = fopen(out->cert, "a")) == NULL || !PEM_write_X509(fp, ca)) {
			if (fp)
				fclose(fp);
			snprintf(err, errlen, "cannot append the CA to %s", out->cert);
			goto out;
		}
		fclose(fp);
	}
	out->not_after = not_after;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}
