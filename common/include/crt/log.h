/* Logging: one line per event on stderr, "time level message key=value…".
 * Log ids only — never passwords, codes, tokens, keys or personal data. */
#ifndef CRT_LOG_H
#define CRT_LOG_H
#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the threshold from "error", "warn", "info" or "debug" (unknown keeps "info"). */
void log_set_level(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A kind of line that can repeat on every request (a database outage, a failing table): at
 * most one line per LOG_LIMIT_INTERVAL_S, and the next line written says how many were held
 * back. Zero-initialise (static storage); shared by threads. */
#define LOG_LIMIT_INTERVAL_S 10
struct log_limit {
    bool started;
    long next_s;         /* CLOCK_MONOTONIC second from which the next line may be written */
    unsigned suppressed; /* lines held back since the last one written */
};
void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
