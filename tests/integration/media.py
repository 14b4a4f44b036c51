"""
media.py — images for the integration tests: PNGs made here (zlib and
struct, no imaging library), other formats converted from them by the vips
command-line tools (libvips-tools), and their headers read back by
vipsheader, an independent decoder.
"""
import os
import secrets
import struct
import subprocess
import zlib


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def png(width, height, pixel):
    """An RGB PNG; pixel(x, y) gives (r, g, b)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)                          # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))
    return b"\x89PNG\r\n\x1a\n" + \
        png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                       0, 0, 0)) + \
        png_chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + \
        png_chunk(b"IEND", b"")


def png_claiming(width, height):
    """A small PNG whose header claims width x height pixels (its data is
    one row of them)."""
    return b"\x89PNG\r\n\x1a\n" + \
        png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                       0, 0, 0)) + \
        png_chunk(b"IDAT", zlib.compress(b"\x00" * (1 + 3 * width), 9)) + \
        png_chunk(b"IEND", b"")


def gradient(x, y):
    return (x * 255 // 639, y * 255 // 479, (x + y) % 256)


def stripes(x, y):
    return ((y // 20) % 2 * 255, x * 255 // 359, 128)


def vips_copy(data, d, name, suffix):
    """`data` (a PNG) converted by the vips tool to `name``suffix`."""
    src = os.path.join(d, name + ".png")
    dst = os.path.join(d, name + suffix)
    with open(src, "wb") as f:
        f.write(data)
    subprocess.run(["vips", "copy", src, dst], check=True, timeout=60,
                   capture_output=True)
    with open(dst, "rb") as f:
        return f.read()


def header(d, data, field):
    """A field of the image's header as vipsheader reads it, or None."""
    path = os.path.join(d, "probe-%s" % secrets.token_hex(4))
    with open(path, "wb") as f:
        f.write(data)
    p = subprocess.run(["vipsheader", "-f", field, path],
                       capture_output=True, text=True, timeout=60)
    os.unlink(path)
    return p.stdout.strip() if p.returncode == 0 else None


def fitted(w, h, box):
    """(w, h) scaled so the longer side is `box`, never enlarged."""
    if max(w, h) <= box:
        return (w, h)
    if w >= h:
        return (box, max(1, round(h * box / w)))
    return (max(1, round(w * box / h)), box)
