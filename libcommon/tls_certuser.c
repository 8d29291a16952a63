/*
 * tls_certuser.c - the user name a client certificate carries, for SASL
 * EXTERNAL; see tls_cert_user() in tls_certinfo.h.
 */
#include "tls_certinfo.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

/* Copies S into OUT as text: 0, or -1 when it is empty, too long, or
 * holds a control character (a NUL could make "a\0b" read as "a"). */
static int text_of(const ASN1_STRING *s, char *out, size_t cap)
{
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, s);
	int rc = -1;

	if (n > 0 && (size_t)n < cap) {
		rc = 0;
		for (int i = 0; i < n; i++)
			if (utf8[i] < 0x20 || utf8[i] == 0x7f)
				rc = -1;
		if (rc == 0) {
			memcpy(out, utf8, (size_t)n);
			out[n] = '\0';
		}
	}
	OPENSSL_free(utf8);
	return rc;
}

/* The last subject entry of type NID (the most specific one). */
static int subject_entry(X509 *x, int nid, char *out, size_t cap)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int at = -1, i = -1;

	while ((i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0)
		at = i;
	if (at < 0)
		return -1;
	return text_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)), out, cap);
}

/* The first rfc822Name subjectAltName. */
static int alt_email(X509 *x, char *out, size_t cap)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int rc = -1;

	for (int i = 0; rc < 0 && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_EMAIL)
			rc = text_of(g->d.rfc822Name, out, cap);
	}
	GENERAL_NAMES_free(names);
	return rc;
}

int tls_cert_user(X509 *x, const char *field, char *out, size_t cap)
{
	out[0] = '\0';
	if (x == NULL || field == NULL)
		return -1;
	if (strcmp(field, "cn") == 0)
		return subject_entry(x, NID_commonName, out, cap);
	if (strcmp(field, "uid") == 0)
		return subject_entry(x, NID_userId, out, cap);
	if (strcmp(field, "email") == 0)
		return alt_email(x, out, cap) == 0 ? 0
		       : subject_entry(x, NID_pkcs9_emailAddress, out, cap);
	return -1;
}
