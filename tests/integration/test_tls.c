/* Integration: crt-api serving HTTPS itself — protocol versions, HSTS, the key file's mode,
 * the refusal to run without TLS unless told a TLS proxy is in front, and the certificate
 * reload on SIGHUP that keeps existing connections. Certificates are made with the openssl
 * command, as crt-local does. */
#include <criterion/criterion.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char dir[128], cert[192], key[192];

/* A self-signed P-256 certificate for CN=cn into cert/key (key mode 600). */
static void make_cert(const char *cn)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
             "-subj /CN=%s -keyout %s.new -out %s.new 2>/dev/null && chmod 600 %s.new && "
             "mv %s.new %s && mv %s.new %s",
             cn, key, cert, key, key, key, cert, cert);
    cr_assert_eq(system(cmd), 0, "openssl req");
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/crt-tls-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    make_cert("first.test");
}

/* Removes the test's folder (certificates, keys, stderr). */
static void teardown(void)
{
    char cmd[192];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static char env_cert[224], env_key[224];
static const char *tls_env[3];

static pid_t start_tls(void)
{
    snprintf(env_cert, sizeof env_cert, "CRT_TLS_CERT_FILE=%s", cert);
    snprintf(env_key, sizeof env_key, "CRT_TLS_KEY_FILE=%s", key);
    tls_env[0] = env_cert;
    tls_env[1] = env_key;
    return api_start(tls_env);
}

/* The common name of the server's certificate on ssl. */
static void peer_cn(SSL *ssl, char *out, size_t len)
{
    X509 *x = SSL_get1_peer_certificate(ssl);
    out[0] = '\0';
    if (x)
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)len);
    X509_free(x);
}

/* One keep-alive GET /healthz on ssl; the status (-1 on failure); headers into hdr. */
static int get_healthz(SSL *ssl, char *hdr, size_t len)
{
    const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[4096];
    size_t n = 0;
    if (SSL_write(ssl, req, (int)strlen(req)) <= 0)
        return -1;
    while (n < sizeof buf - 1) { /* headers, then the small body */
        int got = SSL_read(ssl, buf + n, (int)(sizeof buf - 1 - n));
        if (got <= 0)
            return -1;
        n += (size_t)got;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strcasestr(buf, "Content-Length:");
        if (end && cl && n >= (size_t)(end + 4 - buf) + (size_t)atoi(cl + 15))
            break;
    }
    if (hdr)
        snprintf(hdr, len, "%s", buf);
    return strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : -1;
}

static SSL *connect_tls(int min, int max, int *fd)
{
    *fd = connect_api();
    cr_assert_geq(*fd, 0);
    return harness_tls_connect(*fd, min, max);
}

Test(tls, tls_1_1_is_refused_and_1_2_and_1_3_are_served_with_hsts, .init = setup, .fini = teardown)
{
    pid_t pid = start_tls();
    int fd;
    SSL *old = connect_tls(TLS1_1_VERSION, TLS1_1_VERSION, &fd);
    cr_assert_null(old, "TLS 1.1 must not complete a handshake");
    close(fd);
    old = connect_tls(TLS1_VERSION, TLS1_VERSION, &fd);
    cr_assert_null(old, "TLS 1.0 must not complete a handshake");
    close(fd);
    int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
    for (int i = 0; i < 2; i++) {
        char hdr[4096];
        SSL *ssl = connect_tls(versions[i], versions[i], &fd);
        cr_assert_not_null(ssl, "version %x", versions[i]);
        cr_assert_eq(SSL_version(ssl), versions[i]);
        cr_assert_eq(get_healthz(ssl, hdr, sizeof hdr), 200);
        cr_assert_not_null(strstr(hdr, "\r\nStrict-Transport-Security: max-age=31536000\r\n"), "%s", hdr);
        cr_assert_not_null(strstr(hdr, "\r\nContent-Security-Policy: default-src 'none';"), "%s", hdr);
        if (versions[i] == TLS1_2_VERSION)
            cr_assert(strstr(SSL_get_cipher_name(ssl), "GCM") || strstr(SSL_get_cipher_name(ssl), "CHACHA20"),
                      "an AEAD suite, not %s", SSL_get_cipher_name(ssl));
        SSL_free(ssl);
        close(fd);
    }
    struct resp r; /* plain HTTP to the TLS port gets nothing useful */
    unsetenv("CRT_TEST_TLS");
    cr_assert(api_req(&r, "GET", "/healthz", NULL, NULL) != 0 || r.status != 200);
    resp_free(&r);
    setenv("CRT_TEST_TLS", "1", 1);
    api_stop_checked(pid);
}

/* Runs crt-api with the given environment additions and returns its exit status; stderr
 * into err. It must stop by itself (within 10 s). */
static int run_api(const char *envs, char *err, size_t len)
{
    char cmd[1024], out[192];
    snprintf(out, sizeof out, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "env -u CRT_PLAIN_HTTP CRT_LISTEN=127.0.0.1:%d %s timeout 10 %s 2>%s",
             api_port() + 1, envs, CRT_API_BIN, out);
    int st = system(cmd);
    FILE *f = fopen(out, "r");
    size_t n = f ? fread(err, 1, len - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(tls, a_key_file_readable_by_others_is_refused_at_start, .init = setup, .fini = teardown)
{
    char envs[512], err[512];
    cr_assert_eq(chmod(key, 0644), 0);
    snprintf(envs, sizeof envs, "CRT_TLS_CERT_FILE=%s CRT_TLS_KEY_FILE=%s", cert, key);
    cr_assert_eq(run_api(envs, err, sizeof err), 2, "%s", err);
    cr_assert_not_null(strstr(err, "mode 644"), "%s", err);
    cr_assert_eq(chmod(key, 0640), 0);
    cr_assert_eq(run_api(envs, err, sizeof err), 2, "%s", err);
}

Test(tls, without_tls_files_it_refuses_to_start_unless_behind_a_tls_proxy, .init = setup, .fini = teardown)
{
    char err[512];
    cr_assert_eq(run_api("", err, sizeof err), 2, "%s", err);
    cr_assert_not_null(strstr(err, "CRT_PLAIN_HTTP=behind-tls-proxy"), "%s", err);
    cr_assert_eq(run_api("CRT_PLAIN_HTTP=yes-please", err, sizeof err), 2, "%s", err);
}

Test(tls, sighup_reloads_the_certificate_and_old_connections_keep_working, .init = setup, .fini = teardown)
{
    pid_t pid = start_tls();
    int fd1, fd2;
    char cn[128];
    SSL *one = connect_tls(TLS1_2_VERSION, TLS1_3_VERSION, &fd1);
    cr_assert_not_null(one);
    cr_assert_eq(get_healthz(one, NULL, 0), 200);
    peer_cn(one, cn, sizeof cn);
    cr_assert_str_eq(cn, "first.test");
    make_cert("second.test");
    cr_assert_eq(kill(pid, SIGHUP), 0);
    SSL *two = NULL;
    for (int i = 0; i < 50; i++) { /* the reload happens on the main loop: poll up to 5 s */
        two = connect_tls(TLS1_2_VERSION, TLS1_3_VERSION, &fd2);
        cr_assert_not_null(two);
        peer_cn(two, cn, sizeof cn);
        if (strcmp(cn, "second.test") == 0)
            break;
        SSL_free(two);
        close(fd2);
        two = NULL;
        usleep(100000);
    }
    cr_assert_not_null(two, "new connections get the new certificate");
    cr_assert_eq(get_healthz(two, NULL, 0), 200);
    cr_assert_eq(get_healthz(one, NULL, 0), 200, "the old connection still works");
    peer_cn(one, cn, sizeof cn);
    cr_assert_str_eq(cn, "first.test");
    SSL_free(one);
    SSL_free(two);
    close(fd1);
    close(fd2);
    api_stop_checked(pid);
}

Test(tls, a_failed_reload_keeps_serving_the_old_certificate, .init = setup, .fini = teardown)
{
    pid_t pid = start_tls();
    int fd;
    char cn[128];
    cr_assert_eq(chmod(key, 0644), 0);
    cr_assert_eq(kill(pid, SIGHUP), 0);
    usleep(300000);
    SSL *ssl = connect_tls(TLS1_2_VERSION, TLS1_3_VERSION, &fd);
    cr_assert_not_null(ssl);
    peer_cn(ssl, cn, sizeof cn);
    cr_assert_str_eq(cn, "first.test");
    cr_assert_eq(get_healthz(ssl, NULL, 0), 200);
    SSL_free(ssl);
    close(fd);
    api_stop_checked(pid);
}
