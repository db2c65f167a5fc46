#!/usr/bin/env python3
"""docs/notice_png.py -- the README's picture of the public notice page.

    make demo && python3 docs/notice_png.py [build/notice.html [docs/notice.png]]

Renders the page with headless Chromium twice: once in a tall window, drawn
small, to find where the page ends (the last row that is not white), then in
a window of
exactly that height, 1000 CSS pixels wide and drawn at 0.7 scale, so the
whole page -- scheme, charts and lists -- fits one picture of 700 pixels
wide.  Standard library only."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTH, SCALE, MARGIN = 1000, 0.7, 24


def screenshot(html, out, height, scale=1.0):
    profile = tempfile.mkdtemp(prefix="civic-chromium-")
    try:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                        "--user-data-dir=" + profile, "--window-size=%d,%d" % (WIDTH, height),
                        "--force-device-scale-factor=%s" % scale, "--screenshot=" + out,
                        "file://" + os.path.abspath(html)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def rows(png):
    """The decoded rows (bytes) of an 8-bit RGB or RGBA PNG, and bytes per pixel."""
    with open(png, "rb") as f:
        data = f.read()
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            if depth != 8 or color not in (2, 6) or body[12] != 0:
                sys.exit("notice_png: an unexpected PNG from Chromium")
        elif kind == b"IDAT":
            idat += body
    bpp = 3 if color == 2 else 4
    raw, stride, out, prev, o = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp), 0
    for _ in range(h):
        kind, line = raw[o], bytearray(raw[o + 1:o + 1 + stride])
        o += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(line))
        prev = line
    return out, bpp


def main(argv):
    html = argv[1] if len(argv) > 1 else "build/notice.html"
    png = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(__file__), "notice.png")
    work = tempfile.mkdtemp(prefix="civic-notice-")
    try:
        tall = os.path.join(work, "tall.png")
        screenshot(html, tall, 8000, 0.5)       # half size (Chromium's least): quicker
        lines, bpp = rows(tall)
        per_pixel = WIDTH / (len(lines[0]) // bpp)
        used = [y for y, line in enumerate(lines) if min(line) < 235]
        if not used or used[-1] >= len(lines) - 1:
            sys.exit("notice_png: the page is empty or longer than 8000 pixels")
        height = round((used[-1] + 1) * per_pixel) + MARGIN
        screenshot(html, png, height, SCALE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%s: %dx%d" % (png, round(WIDTH * SCALE), round(height * SCALE)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
