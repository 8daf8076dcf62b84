"""The app's icons, drawn with Pillow so the package builds anywhere.

The mark: three colleagues connected, one of them (the expert) a little larger, with a spark.
`color` is 192×192 on the brand colour; `outline` is 32×32, white strokes on transparency.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

ACCENT = "#0E7C86"
_ACCENT_DARK = (8, 92, 100, 255)
_ACCENT_LIGHT = (20, 160, 170, 255)
_WHITE = (255, 255, 255, 255)
_SPARK = (255, 196, 61, 255)


def _gradient(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / (size - 1)
        r, g, b = (round(_ACCENT_LIGHT[i] * (1 - t) + _ACCENT_DARK[i] * t) for i in range(3))
        colour = (r, g, b, 255)
        draw.line([(0, y), (size, y)], fill=colour)
    return image


def _mark(draw: ImageDraw.ImageDraw, scale: float, stroke: int, fill: bool, spark: bool) -> None:
    """Nodes and links in a 0..1 box scaled to pixels."""

    def p(x: float, y: float) -> tuple[float, float]:
        return (x * scale, y * scale)

    expert = (0.5, 0.34, 0.15)
    peers = [(0.24, 0.7, 0.11), (0.76, 0.7, 0.11)]
    for x, y, _ in peers:
        draw.line([p(expert[0], expert[1]), p(x, y)], fill=_WHITE, width=stroke)
    draw.line([p(peers[0][0], peers[0][1]), p(peers[1][0], peers[1][1])], fill=_WHITE, width=stroke)
    for x, y, r in [expert, *peers]:
        box = [p(x - r, y - r), p(x + r, y + r)]
        if fill:
            draw.ellipse(box, fill=_WHITE)
        else:
            draw.ellipse(box, outline=_WHITE, width=stroke, fill=(0, 0, 0, 0))
    if spark:
        cx, cy, r = 0.5 + 0.15, 0.34 - 0.15, 0.08
        draw.regular_polygon((cx * scale, cy * scale, r * scale), 4, rotation=45, fill=_SPARK)


def color_icon() -> Image.Image:
    """192×192 full-colour icon (rounded tile, so it reads well in Teams' app bar)."""
    size, supersample = 192, 4
    big = size * supersample
    tile = _gradient(big)
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, big - 1, big - 1], radius=big // 5, fill=255)
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    image.paste(tile, (0, 0), mask)
    inner = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _mark(ImageDraw.Draw(inner), big * 0.7, stroke=big // 28, fill=True, spark=True)
    image.alpha_composite(inner, (round(big * 0.15), round(big * 0.15)))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def outline_icon() -> Image.Image:
    """32×32 outline icon: white strokes, transparent background (Teams tints it)."""
    size, supersample = 32, 8
    big = size * supersample
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    inner = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _mark(ImageDraw.Draw(inner), big * 0.84, stroke=big // 14, fill=False, spark=False)
    image.alpha_composite(inner, (round(big * 0.08), round(big * 0.1)))
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    # outline icons are pure white with alpha: drop any colour the resampling introduced
    alpha = small.getchannel("A")
    white = Image.new("RGBA", (size, size), _WHITE)
    white.putalpha(alpha)
    return white


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
