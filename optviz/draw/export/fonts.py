"""The fonts a GIF is drawn in, by language: the first of a language's fonts that this machine has.

Every language of :data:`optviz.text.LANGUAGES` has a row of :data:`FONT_FILES` (the tests check
it, naming a language that has none)."""

from __future__ import annotations

from PIL import ImageFont

# The fonts the GIF is drawn in, by language: the first one found. A language's own fonts come
# first; where none of them is installed, the GIF is worded in English (see race_gif).
FONT_FILES = {
    "en": ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "zh": (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/System/Library/Fonts/PingFang.ttc",
        "/System/Library/Fonts/STHeiti Light.ttc",
        "C:/Windows/Fonts/msyh.ttc",
        "C:/Windows/Fonts/simhei.ttf",
        "NotoSansCJK-Regular.ttc",
        "msyh.ttc",
    ),
}


def font_file(lang: str) -> str | None:
    """The first font of ``lang`` that this machine has, or None."""
    for name in FONT_FILES.get(lang, ()):
        try:
            ImageFont.truetype(name, 12)
        except OSError:
            continue
        return name
    return None


def font(lang: str, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = font_file(lang)
    if name is None:
        return ImageFont.load_default(size=max(1, round(size)))
    return ImageFont.truetype(name, max(1, round(size)))
