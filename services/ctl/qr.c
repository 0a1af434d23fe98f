/* QR codes in the terminal: libqrencode's modules drawn two rows per line with Unicode half
 * blocks, dark on light, with the quiet zone scanners need. */
#include <qrencode.h>

#include "ctl.h"

#define QUIET 2

static int dark(const QRcode *q, int x, int y)
{
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return 0;
    return q->data[y * q->width + x] & 1;
}

int qr_print(FILE *out, const char *text)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
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
