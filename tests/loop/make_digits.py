#!/usr/bin/env python3
"""Writes a digits-like ImageFolder (root/{train,test}/<digit>/<n>.pgm, 28x28 gray):
the ten digits of a 5x7 bitmap font, each image drawn at a random scale, shift,
shear and stroke width, smoothed and with a little pixel noise, deterministic from
the seed. Test data for the generation-1 warning (tests/loop/cli_run_gen1.sh):
made here, nothing downloaded.

usage: make_digits.py ROOT N_TRAIN N_TEST [SEED]"""
import math
import os
import random
import sys

FONT = {  # 5 columns x 7 rows, '#' = ink
    0: [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
    1: ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    2: [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    3: ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
    4: ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    5: ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    6: ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
    7: ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    8: [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    9: [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
}
SIDE = 28


def draw(digit, rng):
    """One 28x28 image (values 0..255) of a digit: the font cells as ink segments,
    sampled through a random affine map with a soft pen of random width."""
    rows = FONT[digit]
    ink = [(c + 0.5, r + 0.5) for r in range(7) for c in range(5) if rows[r][c] == "#"]
    scale = rng.uniform(2.4, 3.0)           # pixels per font cell
    shear = rng.uniform(-0.3, 0.3)
    cx = SIDE / 2 + rng.uniform(-2, 2)
    cy = SIDE / 2 + rng.uniform(-2, 2)
    pen = rng.uniform(0.9, 1.5)             # pen radius in pixels
    level = rng.uniform(0.7, 1.0)
    pts = [(cx + scale * ((x - 2.5) + shear * (y - 3.5)), cy + scale * (y - 3.5))
           for x, y in ink]
    img = bytearray(SIDE * SIDE)
    for py in range(SIDE):
        for px in range(SIDE):
            d = min((px + 0.5 - x) ** 2 + (py + 0.5 - y) ** 2 for x, y in pts)
            v = level / (1 + math.exp((math.sqrt(d) - pen - 0.5 * scale) * 2.5))
            v += rng.gauss(0, 0.02)
            img[py * SIDE + px] = max(0, min(255, int(round(255 * v))))
    return img


def main():
    root, n_train, n_test = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 17)
    for split, n in (("train", n_train), ("test", n_test)):
        for i in range(n):
            digit = i % 10
            folder = os.path.join(root, split, str(digit))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "%05d.pgm" % i), "wb") as f:
                f.write(b"P5 %d %d 255\n" % (SIDE, SIDE))
                f.write(draw(digit, rng))


if __name__ == "__main__":
    main()
