/* Unit: configuration from CRT_* variables — defaults, validation by name, --help coverage. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crt/config.h"

static void clear_env(void)
{
    for (size_t i = 0; i < config_count(CFG_API | CFG_CTL | CFG_REVIEW); i++)
        unsetenv(config_name(CFG_API | CFG_CTL | CFG_REVIEW, i));
}

TestSuite(config, .init = clear_env);

Test(config, defaults_are_safe)
{
    struct crt_config c;
    char err[128];
    cr_assert(config_load(&c, CFG_API, err, sizeof err));
    cr_assert_eq(c.scrypt_log2n, 17, "OWASP scrypt cost by default");
    cr_assert_eq(c.access_token_ttl_s, 900, "access tokens live 15 minutes");
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    long cores = sysconf(_SC_NPROCESSORS_ONLN); /* one worker per core, at least two (D57) */
    cr_assert_eq(c.threads, cores > 2 ? cores : 2);
    cr_assert_eq(c.max_body_bytes, 65536);
    config_free(&c);
}

Test(config, values_are_read_and_checked)
{
    struct crt_config c;
    char err[128];
    setenv("CRT_THREADS", "7", 1);
    setenv("CRT_SCRYPT_LOG2N", "14", 1);
    cr_assert(config_load(&c, CFG_API, err, sizeof err));
    cr_assert_eq(c.threads, 7);
    cr_assert_eq(c.scrypt_log2n, 14);
    config_free(&c);
    setenv("CRT_THREADS", "0", 1);
    cr_assert_not(config_load(&c, CFG_API, err, sizeof err));
    cr_assert_not_null(strstr(err, "CRT_THREADS"));
    setenv("CRT_THREADS", "4x", 1);
    cr_assert_not(config_load(&c, CFG_API, err, sizeof err));
    setenv("CRT_THREADS", "4", 1);
    setenv("CRT_SCRYPT_LOG2N", "9", 1);
    cr_assert_not(config_load(&c, CFG_API, err, sizeof err), "below the floor of 2^10");
    cr_assert_not_null(strstr(err, "CRT_SCRYPT_LOG2N"));
    setenv("CRT_SCRYPT_LOG2N", "17", 1);
    setenv("CRT_LOG_LEVEL", "chatty", 1);
    cr_assert_not(config_load(&c, CFG_API, err, sizeof err));
    cr_assert_not_null(strstr(err, "CRT_LOG_LEVEL"));
}

Test(config, help_lists_every_setting_of_the_program)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_help(f, CFG_API);
    fclose(f);
    cr_assert_geq(config_count(CFG_API), 8);
    for (size_t i = 0; i < config_count(CFG_API); i++)
        cr_assert_not_null(strstr(buf, config_name(CFG_API, i)));
    cr_assert_null(strstr(buf, "CRT_MIGRATIONS_DIR"), "crtctl-only settings are not shown");
    free(buf);
}

Test(config, the_configuration_page_documents_every_setting)
{
    FILE *f = fopen(CRT_SOURCE_DIR "/docs/configuration.md", "r");
    cr_assert_not_null(f, "docs/configuration.md exists");
    char *doc = calloc(1, 65536);
    size_t n = fread(doc, 1, 65535, f);
    fclose(f);
    cr_assert_gt(n, 0);
    unsigned all = CFG_API | CFG_CTL | CFG_REVIEW;
    for (size_t i = 0; i < config_count(all); i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "`%s`", config_name(all, i));
        cr_assert_not_null(strstr(doc, needle), "%s is not documented", config_name(all, i));
    }
    free(doc);
}
