"""Renders a `tmux capture-pane -e -p` dump (text with SGR colour codes) to a PNG, for the
README's screenshot. Needs Pillow: python3 -m pip install pillow.

    python3 scripts/screenshot.py capture.txt assets/screenshot.png
"""

import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 14
BACKGROUND = (24, 26, 33)
FOREGROUND = (220, 223, 228)
PALETTE = [
    (40, 42, 54), (224, 88, 88), (120, 200, 120), (230, 200, 90),
    (90, 140, 230), (200, 120, 220), (90, 200, 210), (200, 200, 200),
    (110, 115, 130), (255, 110, 110), (150, 230, 150), (255, 230, 120),
    (120, 170, 255), (230, 150, 250), (120, 230, 240), (255, 255, 255),
]


def color_256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    level = 8 + (n - 232) * 10
    return level, level, level


def parse(lines):
    """Yields rows of (char, fg, bg, bold)."""
    for line in lines:
        fg, bg, bold, reverse = None, None, False, False
        row = []
        for token in re.split(r"(\x1b\[[0-9;]*m)", line.rstrip("\n")):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, reverse = None, None, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        reverse = True
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = PALETTE[c - 30]
                    elif 90 <= c <= 97:
                        fg = PALETTE[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = PALETTE[c - 40]
                    elif 100 <= c <= 107:
                        bg = PALETTE[c - 100 + 8]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        if c == 38:
                            fg = color_256(codes[i + 2])
                        else:
                            bg = color_256(codes[i + 2])
                        i += 2
                    i += 1
                continue
            for ch in token:
                f, b = fg or FOREGROUND, bg or BACKGROUND
                if reverse:
                    f, b = b, f
                row.append((ch, f, b, bold))
        yield row


def main(source, target):
    with open(source, encoding="utf-8") as f:
        rows = list(parse(f.readlines()))
    font, bold_font = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    width = int(font.getlength("M"))
    height = SIZE + 4
    columns = max(len(r) for r in rows)
    image = Image.new("RGB", (columns * width + 16, len(rows) * height + 16), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(rows):
        for x, (ch, fg, bg, bold) in enumerate(row):
            left, top = 8 + x * width, 8 + y * height
            if bg != BACKGROUND:
                draw.rectangle([left, top, left + width, top + height], fill=bg)
            if ch.strip():
                draw.text((left, top + 1), ch, font=bold_font if bold else font, fill=fg)
    image.save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
