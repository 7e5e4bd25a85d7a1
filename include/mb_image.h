/* mb_image.h — writing images for people to look at. */
#ifndef MB_IMAGE_H
#define MB_IMAGE_H

#include "mb_common.h"

/* One PNG of pixels [height, width, channels] (8 bits each), written through a
 * temporary file: MB_EIO naming path when any write fails, nothing left behind. */
int mb_write_png(const char *path, int width, int height, int channels,
                 const unsigned char *pixels);

/* images [n, channels, height, width] in [0, 1] as one PNG grid, `columns` wide,
 * with a 2-pixel black border. */
int mb_write_png_grid(const char *path, const float *images, int n, int channels,
                      int height, int width, int columns);

#endif
