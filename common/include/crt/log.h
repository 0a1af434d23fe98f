/* Logging: one line per event on stderr, "time level message key=value…".
 * Log ids only — never passwords, codes, tokens, keys or personal data. */
#ifndef CRT_LOG_H
#define CRT_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the threshold from "error", "warn", "info" or "debug" (unknown keeps "info"). */
void log_set_level(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
