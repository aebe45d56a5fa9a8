"""Safe decoding of untrusted image bytes."""

from __future__ import annotations

import struct

import cv2
import numpy as np

from .errors import FaceError


def image_size(data: bytes) -> tuple[int, int] | None:
    """Read (width, height) from a JPEG or PNG header without decoding the pixels."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        n = len(data)
        while i + 4 <= n:
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            seg = struct.unpack(">H", data[i + 2 : i + 4])[0]
            # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the size.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                if i + 9 > n:
                    return None
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + seg
        return None
    return None


def decode(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    grey: bool,
    error: type[FaceError],
) -> np.ndarray:
    """Decode JPEG/PNG/other bytes to a grey or BGR array, applying EXIF orientation.

    Raises ``error("bad_image")`` for anything unreadable (empty, not an image,
    truncated JPEG or PNG) and ``too_large`` (``bad_image`` with detail for
    enrolment) before decoding anything whose size would exhaust memory.
    """
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) == 0:
        raise error("bad_image", detail="empty")
    data = bytes(data)
    too_large_code = "too_large" if error.__name__ == "FrameError" else "bad_image"
    if len(data) > max_bytes:
        raise error(too_large_code, _too_large_msg(), detail="too_large")
    size = image_size(data)
    is_jpeg = data[:2] == b"\xff\xd8"
    is_png = data[:8] == b"\x89PNG\r\n\x1a\n"
    if (is_jpeg or is_png) and size is None:
        raise error("bad_image", detail="no_header")
    if size is not None and size[0] * size[1] > max_pixels:
        raise error(too_large_code, _too_large_msg(), detail="too_large")
    # A cut-off upload decodes "successfully" into a half-grey picture; refuse it.
    if is_jpeg and b"\xff\xd9" not in data[-64:]:
        raise error("bad_image", detail="truncated")
    if is_png and b"IEND" not in data[-32:]:
        raise error("bad_image", detail="truncated")
    # Other formats (BMP, WebP, ...): OpenCV reads the header itself, and the
    # decoded size is checked below.
    flags = cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        img = cv2.imdecode(buf, flags)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise error("bad_image", detail="undecodable")
    if img.shape[0] * img.shape[1] > max_pixels:
        raise error(too_large_code, _too_large_msg(), detail="too_large")
    return img


def _too_large_msg() -> str:
    return "图片太大，请上传不超过规定大小的照片。"


def to_grey(img: np.ndarray) -> np.ndarray:
    """Grey copy of a grey, BGR or BGRA array."""
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def to_rgb(img: np.ndarray) -> np.ndarray:
    """Contiguous RGB copy of a grey, BGR or BGRA array (what dlib's encoder wants)."""
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
