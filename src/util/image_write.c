/* util/image_write.c — PNG files through stb_image_write (Debian libstb). */
#include "mb_files.h"
#include "mb_image.h"

#include <stb/stb_image_write.h>
#include <stdlib.h>

static void to_file(void *context, void *data, int size)
{
    fwrite(data, 1, (size_t)size, context); /* errors are checked once, at the close */
}

int mb_write_png(const char *path, int width, int height, int channels,
                 const unsigned char *pixels)
{
    /* stbi_write_png reports no I/O error: write through a checked temporary file */
    mb_out_file out;
    MB_TRY(mb_out_open(&out, path));
    const int ok = stbi_write_png_to_func(to_file, out.f, width, height, channels, pixels,
                                          width * channels);
    return mb_out_close(&out, ok ? MB_OK : mb_fail(MB_ENOMEM, "%s: cannot encode the PNG "
                                                   "(out of memory)", path));
}

int mb_write_png_grid(const char *path, const float *images, int n, int channels,
                      int height, int width, int columns)
{
    if (n < 1 || columns < 1)
        return mb_fail(MB_EINPUT, "%s: no images to write", path);
    if (channels != 1 && channels != 3)
        return mb_fail(MB_EINPUT, "%s: %d channels (a PNG grid needs 1 or 3)", path, channels);
    const int pad = 2, cols = n < columns ? n : columns, rows = (n + cols - 1) / cols;
    const int gw = cols * (width + pad) + pad, gh = rows * (height + pad) + pad;
    unsigned char *grid = mb_host_alloc((size_t)gw * gh * channels, "PNG grid");
    if (!grid)
        return MB_ENOMEM;
    for (int i = 0; i < n; i++) {
        const int x0 = pad + (i % cols) * (width + pad), y0 = pad + (i / cols) * (height + pad);
        const float *img = images + (size_t)i * channels * height * width;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++) {
                    float v = img[((size_t)c * height + y) * width + x];
                    v = v < 0 ? 0 : v > 1 ? 1 : v;
                    grid[((size_t)(y0 + y) * gw + x0 + x) * channels + c] =
                        (unsigned char)(v * 255.0f + 0.5f);
                }
    }
    const int rc = mb_write_png(path, gw, gh, channels, grid);
    free(grid);
    return rc;
}
