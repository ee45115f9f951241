/* SPDX-License-Identifier: MIT */
/* util: program name, diagnostics, OpenSSL error draining, cleanup helpers. */
#ifndef MODSIGN_UTIL_H
#define MODSIGN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Exit codes, documented in --help, README.md and modsign(1). */
enum {
	EXIT_OK = 0,        /* success */
	EXIT_ERR = 1,       /* error: bad input, I/O, crypto failure */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_REJECTED = 3,  /* verify: the kernel would refuse a module */
	EXIT_UNCHECKED = 4, /* verify: a module could not be checked */
};

/* The name diagnostics start with: "modsign" or "sign-file". */
extern const char *util_prog;

/* "PROG: MSG\n" on stderr. */
void util_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: warning: MSG\n" on stderr. */
void util_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The one OpenSSL error path: "PROG: MSG: <drained OpenSSL errors>\n".
 * Drains the whole error queue into a single line, so a failing step is
 * named once, followed by OpenSSL's reasons.
 */
void util_ossl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Drain OpenSSL's error queue into buf (one line, "; "-separated). */
void util_ossl_drain(char *buf, size_t size);
/* A usage error of subcommand cmd: "PROG: CMD: MSG (see 'modsign CMD --help')";
 * returns EXIT_USAGE. */
int util_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage error for getopt_long()'s ':' or '?', naming the option. */
int util_getopt_error(const char *cmd, int opt, char **argv);

/* Free and zero a secret string. */
void util_secret_free(char *s);

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
size_t util_utf8_len(const unsigned char *s);
/* A JSON string (RFC 8259), or null for NULL; bytes that are not UTF-8
 * become U+FFFD. */
void util_json_string(FILE *out, const char *s);

/* Hex with colons, as kmod's modinfo prints keys and signatures. */
char *util_hex_colon(const unsigned char *p, size_t n);

/* Cleanup helpers (kmod style). */
static inline void freep(void *p) { free(*(void **)p); }
static inline void bio_freep(BIO **p) { BIO_free_all(*p); }
static inline void pkey_freep(EVP_PKEY **p) { EVP_PKEY_free(*p); }
static inline void x509_freep(X509 **p) { X509_free(*p); }
static inline void cms_freep(CMS_ContentInfo **p) { CMS_ContentInfo_free(*p); }
static inline void x509_stack_freep(STACK_OF(X509) **p) { sk_X509_pop_free(*p, X509_free); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_bio_ _cleanup_(bio_freep)
#define _cleanup_pkey_ _cleanup_(pkey_freep)
#define _cleanup_x509_ _cleanup_(x509_freep)
#define _cleanup_cms_ _cleanup_(cms_freep)
#define _cleanup_x509_stack_ _cleanup_(x509_stack_freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Take ownership: returns p and sets the variable to NULL. */
#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })

#endif
