/* TLS of crt-api: the OpenSSL context from CRT_TLS_CERT_FILE / CRT_TLS_KEY_FILE (TLS 1.2 and
 * 1.3 only, forward-secret AEAD ciphers), OpenSSL bufferevents for evhttp's connections, and
 * the reload of certificate and key on SIGHUP: new connections get the new context, existing
 * ones keep theirs (an SSL holds a reference to the SSL_CTX it was made from). */
#include <errno.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api.h"
#include "crt/log.h"
#include "crt/metrics.h"

/* TLS 1.2 suites (Mozilla "intermediate"): ECDHE + AES-GCM or ChaCha20-Poly1305 only. TLS 1.3
 * keeps OpenSSL's default suites, which are all AEAD. */
#define TLS12_CIPHERS                                                                        \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                             \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                             \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static struct {
    pthread_mutex_t mu;
    SSL_CTX *ctx;          /* the context new connections use; NULL: plain HTTP */
    const char *cert, *key; /* the configuration's strings */
    struct event *hup;
} tls = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The key file must not be readable or writable by group or others. */
static bool key_mode_ok(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "CRT_TLS_KEY_FILE %s: %s", path, strerror(errno));
        return false;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "CRT_TLS_KEY_FILE %s has mode %03o; it must be 600 or stricter",
                 path, (unsigned)(st.st_mode & 0777));
        return false;
    }
    return true;
}

/* The served certificate's notAfter for the certificate-expiry alert (metrics). */
static void publish_not_after(SSL_CTX *ctx)
{
    X509 *x = SSL_CTX_get0_certificate(ctx);
    struct tm tm;
    if (x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
        metrics_tls_not_after((int64_t)timegm(&tm));
}

/* A new server context with the certificate chain and key; NULL after writing why into err. */
static SSL_CTX *context_new(char *err, size_t errlen)
{
    if (!key_mode_ok(tls.key, err, errlen))
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    const char *why = NULL;
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS))
        why = "cannot set up an OpenSSL context";
    else if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert) != 1)
        why = "CRT_TLS_CERT_FILE is not a usable PEM certificate chain";
    else if (SSL_CTX_use_PrivateKey_file(ctx, tls.key, SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(ctx) != 1)
        why = "CRT_TLS_KEY_FILE is not the PEM private key of the certificate";
    ERR_clear_error();
    if (why) {
        snprintf(err, errlen, "%s", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    publish_not_after(ctx);
    return ctx;
}

bool tls_init(const struct crt_config *cfg, char *err, size_t errlen)
{
    bool cert = cfg->tls_cert_file[0] != '\0', key = cfg->tls_key_file[0] != '\0';
    if (cert != key) {
        snprintf(err, errlen, "set both CRT_TLS_CERT_FILE and CRT_TLS_KEY_FILE, or neither");
        return false;
    }
    if (!cert) {
        if (strcmp(cfg->plain_http, "behind-tls-proxy") == 0)
            return true;
        snprintf(err, errlen,
                 "no TLS: set CRT_TLS_CERT_FILE and CRT_TLS_KEY_FILE, or CRT_PLAIN_HTTP="
                 "behind-tls-proxy when a TLS-terminating proxy is in front");
        return false;
    }
    if (cfg->plain_http[0] != '\0') {
        snprintf(err, errlen, "CRT_PLAIN_HTTP and the TLS files exclude each other");
        return false;
    }
    tls.cert = cfg->tls_cert_file;
    tls.key = cfg->tls_key_file;
    tls.ctx = context_new(err, errlen);
    http_hsts = tls.ctx != NULL;
    return tls.ctx != NULL;
}

bool tls_enabled(void) { return tls.ctx != NULL; }

struct bufferevent *tls_bev_new(struct event_base *base, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&tls.mu);
    SSL *ssl = SSL_new(tls.ctx); /* takes a reference to the context */
    pthread_mutex_unlock(&tls.mu);
    if (ssl == NULL)
        return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        SSL_free(ssl);
    return bev;
}

/* SIGHUP: a new context for new connections; a failed reload keeps the old one. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what, (void)arg;
    char err[256];
    SSL_CTX *fresh = context_new(err, sizeof err);
    if (fresh == NULL) {
        log_error("SIGHUP: TLS certificate not reloaded (%s); the old one stays", err);
        return;
    }
    pthread_mutex_lock(&tls.mu);
    SSL_CTX *old = tls.ctx;
    tls.ctx = fresh;
    pthread_mutex_unlock(&tls.mu);
    SSL_CTX_free(old); /* freed once the last connection made from it closes */
    log_info("SIGHUP: TLS certificate and key reloaded");
}

bool tls_watch(struct event_base *base)
{
    if (tls.ctx == NULL)
        return true;
    tls.hup = evsignal_new(base, SIGHUP, on_hup, NULL);
    return tls.hup && evsignal_add(tls.hup, NULL) == 0;
}

void tls_free(void)
{
    if (tls.hup)
        event_free(tls.hup);
    tls.hup = NULL;
    SSL_CTX_free(tls.ctx);
    tls.ctx = NULL;
}
