"""A drawn "selfie" for trying the bot without a photo at hand (the page's sample button and
the browser test use it): a face with hair, eyes and a smile on a gradient background."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter


def sample_selfie(
    width: int = 600, height: int = 800, *, shirt: tuple[int, int, int] = (40, 90, 200)
) -> bytes:
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # sky-to-wall gradient
        t = y / height
        draw.line((0, y, width, y), fill=(int(120 + 100 * t), int(170 + 40 * t), int(230 - 60 * t)))
    cx, cy = width // 2, int(height * 0.42)
    face_w, face_h = int(width * 0.36), int(height * 0.30)
    draw.ellipse((cx - width // 2.2, height * 0.72, cx + width // 2.2, height * 1.25), fill=shirt)
    draw.rectangle(
        (cx - face_w // 5, cy + face_h // 2, cx + face_w // 5, height * 0.78), fill=(226, 180, 150)
    )
    draw.ellipse(
        (cx - face_w * 0.62, cy - face_h * 0.78, cx + face_w * 0.62, cy + face_h * 0.2),
        fill=(70, 40, 25),
    )
    draw.ellipse(
        (cx - face_w // 2, cy - face_h // 2, cx + face_w // 2, cy + face_h // 2),
        fill=(236, 190, 160),
    )
    for side in (-1, 1):
        ex = cx + side * face_w // 5
        draw.ellipse((ex - 18, cy - 30, ex + 18, cy - 6), fill=(255, 255, 255))
        draw.ellipse((ex - 8, cy - 26, ex + 8, cy - 10), fill=(60, 90, 40))
        draw.line((ex - 22, cy - 44, ex + 18, cy - 48 + side * 2), fill=(60, 35, 20), width=6)
    draw.polygon(((cx, cy - 4), (cx - 12, cy + 30), (cx + 8, cy + 32)), fill=(215, 160, 130))
    draw.arc((cx - 50, cy + 20, cx + 50, cy + 80), 20, 160, fill=(160, 40, 50), width=7)
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
