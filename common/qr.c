/* QR codes from libqrencode: drawn in the terminal with Unicode half blocks (crtctl) or as an
 * SVG document (the web enrolment), dark on light with the quiet zone scanners need. */
#include "crt/qr.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 2      /* modules of light margin in the terminal */
#define SVG_QUIET 4  /* the standard's quiet zone */

static QRcode *encode(const char *text)
{
    return QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
}

static int dark(const QRcode *q, int x, int y)
{
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return 0;
    return q->data[y * q->width + x] & 1;
}

int qr_print(FILE *out, const char *text)
{
    QRcode *q = encode(text);
    if (q == NULL)
        return -1;
    /* Light background: a module is drawn as a space when dark (inverted video is not
     * portable), so print light modules as blocks and dark ones as blanks. */
    for (int y = -QUIET; y < q->width + QUIET; y += 2) {
        for (int x = -QUIET; x < q->width + QUIET; x++) {
            int top = dark(q, x, y), bottom = dark(q, x, y + 1);
            fputs(top && bottom ? " " : top ? "\u2584" : bottom ? "\u2580" : "\u2588", out);
        }
        fputc('\n', out);
    }
    QRcode_free(q);
    return 0;
}

/* One path of unit squares ("M x y h1v1h-1z"), runs of dark modules merged per row. */
char *qr_svg(const char *text)
{
    QRcode *q = encode(text);
    if (q == NULL)
        return NULL;
    int size = q->width + 2 * SVG_QUIET;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        QRcode_free(q);
        return NULL;
    }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\" role=\"img\">"
               "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
            size, size, size, size);
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width;) {
            if (!dark(q, x, y)) {
                x++;
                continue;
            }
            int run = 0;
            while (x + run < q->width && dark(q, x + run, y))
                run++;
            fprintf(f, "M%d %dh%dv1h-%dz", x + SVG_QUIET, y + SVG_QUIET, run, run);
            x += run;
        }
    fputs("\"/></svg>", f);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    QRcode_free(q);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}
