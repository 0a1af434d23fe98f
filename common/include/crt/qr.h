/* QR codes (libqrencode, error correction M): for the terminal and as SVG for the browser. */
#ifndef CRT_QR_H
#define CRT_QR_H
#include <stdbool.h>
#include <stdio.h>

#include "crt/config.h"

/* Prints text as a QR code with Unicode half blocks; -1 when it cannot be encoded. */
int qr_print(FILE *out, const char *text) CRT_MUST_CHECK;
/* text as a standalone SVG document (malloc'ed, caller frees), or NULL. */
char *qr_svg(const char *text);

#endif
