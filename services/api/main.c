/* crt-api: parses options, loads the configuration and runs the server (server.c). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "crt/log.h"

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: crt-api [--help]\n\nThe CRT HTTP/JSON API. Stops gracefully on SIGTERM.\n\n");
        config_print_help(stdout, CFG_API);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "crt-api: unknown argument %s (see --help)\n", argv[1]);
        return 2;
    }
    struct crt_config cfg;
    char err[256];
    if (!config_load(&cfg, CFG_API, err, sizeof err)) {
        fprintf(stderr, "crt-api: %s\n", err);
        return 2;
    }
    log_set_level(cfg.log_level);
    int rc = server_run(&cfg);
    config_free(&cfg);
    return rc;
}
