/* Logging: timestamped single lines on stderr, safe from several threads (one write each), and
 * rate-limited lines for conditions that can repeat on every request. */
#include "crt/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO;
static const char *const names[] = {"error", "warn", "info", "debug"};

void log_set_level(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            threshold = (enum log_level)i;
}

/* Formats "time level message[suffix]" and writes it in one write(2). */
__attribute__((format(printf, 3, 0))) static void emit(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ %s ", ts.tv_nsec / 1000000,
                  names[level]);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    n = m < 0 ? n : (n + m > (int)sizeof line - 2 ? (int)sizeof line - 2 : n + m);
    if (suffix[0]) {
        m = snprintf(line + n, sizeof line - (size_t)n - 1, "%s", suffix);
        n = m < 0 ? n : (n + m > (int)sizeof line - 2 ? (int)sizeof line - 2 : n + m);
    }
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > threshold)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, "", fmt, ap);
    va_end(ap);
}

static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;

/* Whether a line of l may be written now; *suppressed gets how many were held back since the
 * last one written. */
static bool limit_pass(struct log_limit *l, unsigned *suppressed)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&limit_mu);
    bool pass = !l->started || ts.tv_sec >= l->next_s;
    if (pass) {
        *suppressed = l->suppressed;
        l->suppressed = 0;
        l->started = true;
        l->next_s = ts.tv_sec + LOG_LIMIT_INTERVAL_S;
    } else {
        l->suppressed++;
    }
    pthread_mutex_unlock(&limit_mu);
    return pass;
}

void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
{
    unsigned suppressed;
    if (level > threshold || !limit_pass(l, &suppressed))
        return;
    char suffix[96] = "";
    if (suppressed)
        snprintf(suffix, sizeof suffix, " (and %u more like it in the last %d s)", suppressed,
                 LOG_LIMIT_INTERVAL_S);
    va_list ap;
    va_start(ap, fmt);
    emit(level, suffix, fmt, ap);
    va_end(ap);
}
