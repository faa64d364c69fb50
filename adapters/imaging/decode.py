"""Untrusted image bytes in, a normalised PNG out: the only door uploads come through."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import numpy as np
from PIL import ExifTags, Image, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from core import messages
from core.errors import BadInput
from core.imaging import SourceImage

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 64
MAX_JPEG_SCANS = 64
DECODE_SLOTS = 2

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# A marker as libjpeg finds it: 0xFF and a code that is not a stuffed zero (0x00), a fill
# byte (0xFF), TEM (0x01) or a restart marker (0xD0-0xD7); these it steps over.
_MARKER = re.compile(rb"\xff[\x02-\xcf\xd8-\xfe]")
_START_OF_IMAGE, _END_OF_IMAGE, _START_OF_SCAN = 0xD8, 0xD9, 0xDA
_BAND_ROWS = 256
_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}
# What Pillow raises on damaged data, besides OSError (truncation) and SyntaxError (bad header).
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError)
_TRANSPOSITIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Warning filters are process-wide and ``catch_warnings`` restores whatever it saw on
# entry, so decoder threads take turns changing them (or one could leave its filter on).
_QUIET_EXIF = threading.Lock()


def sniff(data: bytes) -> str | None:
    """The container named by the first bytes (``PNG``, ``JPEG``, ``WEBP``), else ``None``."""
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def webp_size(data: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header, read before libwebp allocates anything."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _normalise(im: Image.Image) -> Image.Image:
    """Any decoded mode to RGB or RGBA, 8 bits a channel."""
    mode = im.mode
    if mode.startswith("I") or mode == "F":  # 16-bit and 32-bit greyscale, floats
        return Image.fromarray(_grey8(im)).convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        return im.convert("RGBA")
    return im if mode == "RGB" else im.convert("RGB")


def _grey8(im: Image.Image) -> np.ndarray:
    """8-bit grey from an ``I*`` or ``F`` image, a band of rows at a time so that no copy
    of the whole picture wider than 8 bits is ever made. Integers that go above 255 (and
    all 16-bit ones) are scaled from 0..65535 with rounding; floats from 0..1."""
    width, height = im.size
    out = np.empty((height, width), dtype=np.uint8)
    wide = im.mode.startswith("I;16") or _highest(im) > 255
    for top in range(0, height, _BAND_ROWS):
        bottom = min(top + _BAND_ROWS, height)
        band = np.asarray(im.crop((0, top, width, bottom)))
        if im.mode == "F":
            scaled = np.rint(band.astype(np.float64) * 255.0)
        else:
            scaled = band.astype(np.int32)
            if wide:
                scaled = (np.clip(scaled, 0, 65535) + 128) // 257
        out[top:bottom] = np.clip(scaled, 0, 255)
    return out


def _highest(im: Image.Image) -> float:
    extrema = im.getextrema()
    return float(extrema[1]) if isinstance(extrema[1], int | float) else 0.0


def _free(slots: asyncio.Semaphore, work: asyncio.Future[SourceImage]) -> None:
    slots.release()
    if not work.cancelled():
        work.exception()  # retrieved here too, for a caller that stopped waiting


@contextmanager
def _exif_quietly() -> Iterator[None]:
    """Pillow warns once for each damaged EXIF tag: thousands of lines for one photo."""
    with _QUIET_EXIF, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        yield


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1 to 8); 1, upright, when there is none or it can't be read."""
    try:
        with _exif_quietly():
            value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except (*_DAMAGED, KeyError, ZeroDivisionError):
        log.debug("unreadable EXIF orientation ignored")
        return 1
    return value if isinstance(value, int) else 1


def _orient(im: Image.Image) -> Image.Image:
    method = _TRANSPOSITIONS.get(_orientation(im))
    return im if method is None else im.transpose(method)


def jpeg_scans(data: bytes) -> int:
    """How many scans a JPEG holds, counted as libjpeg reads the file: segments are stepped
    over by their lengths (so markers inside a comment or EXIF count for nothing), and so
    are entropy-coded data and stray bytes, up to the next marker. Linear in the size of
    the file; damaged data ends the count, never raises."""
    search = _MARKER.search
    scans, position, last = 0, 0, len(data) - 1
    while (found := search(data, position)) is not None:
        position = found.end()
        marker = data[position - 1]
        if marker == _END_OF_IMAGE:
            break
        if marker == _START_OF_IMAGE:
            continue
        if marker == _START_OF_SCAN:
            scans += 1
        if position >= last:
            break
        length = data[position] << 8 | data[position + 1]  # counting its own two bytes
        position += length if length > 2 else 2
    return scans


class PillowDecoder:
    """Validates uploads with Pillow: kind by content, size and pixel limits before decoding.

    At most ``concurrency`` pictures are decoded at once, as each may take hundreds of
    megabytes; the others wait their turn without holding a thread.
    """

    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        max_pixels: int = MAX_PIXELS,
        min_side: int = MIN_SIDE,
        max_scans: int = MAX_JPEG_SCANS,
        concurrency: int = DECODE_SLOTS,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.min_side = min_side
        self.max_scans = max_scans
        self.concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None

    async def load(self, data: bytes) -> SourceImage:
        if len(data) > self.max_bytes:
            limit_mb = round(self.max_bytes / (1024 * 1024))
            raise BadInput(messages.IMAGE_TOO_LARGE.format(limit_mb=limit_mb))
        kind = sniff(data)
        if kind is None:
            raise BadInput(messages.IMAGE_NOT_SUPPORTED)
        loop = asyncio.get_running_loop()
        slots = self._slots_in(loop)
        await slots.acquire()
        try:
            work = loop.run_in_executor(None, self._decode, data, kind)
        except BaseException:
            slots.release()
            raise
        work.add_done_callback(partial(_free, slots))
        # A caller that gives up does not free the slot: the thread still decodes.
        return await asyncio.shield(work)

    def _slots_in(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        if self._slots is None or self._slots_loop is not loop:
            self._slots = asyncio.Semaphore(self.concurrency)
            self._slots_loop = loop
        return self._slots

    def _too_many_pixels(self) -> BadInput:
        limit_mp = round(self.max_pixels / 1_000_000)
        return BadInput(messages.IMAGE_TOO_MANY_PIXELS.format(limit_mp=limit_mp))

    def _check_size(self, size: tuple[int, int]) -> None:
        width, height = size
        if width * height > self.max_pixels:
            raise self._too_many_pixels()
        if min(width, height) < self.min_side:
            raise BadInput(messages.IMAGE_TOO_SMALL.format(minimum=self.min_side))

    def _decode(self, data: bytes, kind: str) -> SourceImage:
        if kind == "JPEG" and jpeg_scans(data) > self.max_scans:
            # Each progressive scan is another pass over every coefficient: thousands of
            # them turn a small file into hours of decoding.
            raise BadInput(messages.IMAGE_TOO_MANY_SCANS)
        if kind == "WEBP" and (size := webp_size(data)) is not None:
            self._check_size(size)
        try:
            # The plugin class reads the header only; nothing is decoded yet, and the
            # global Image.open bomb check (a warning) is bypassed for our own limit. A JPEG
            # header with no resolution has it read from the EXIF, here.
            with _exif_quietly():
                im = _OPENERS[kind](io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise self._too_many_pixels() from None
        except _DAMAGED:
            raise BadInput(messages.IMAGE_TRUNCATED) from None
        with im:
            if im.format != kind:
                raise BadInput(messages.IMAGE_NOT_SUPPORTED)
            self._check_size(im.size)
            try:
                im.seek(0)
                im.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise self._too_many_pixels() from None
            except _DAMAGED:
                raise BadInput(messages.IMAGE_TRUNCATED) from None
            out = _normalise(_orient(im))
            if out is im:  # the file closes with the block; keep the pixels
                out = im.copy()
        if out.mode == "RGBA":
            low, _ = out.getchannel("A").getextrema()
            if low == 255:
                out = out.convert("RGB")
        buffer = io.BytesIO()
        out.save(buffer, format="PNG", compress_level=3)
        return SourceImage(
            data=buffer.getvalue(),
            width=out.width,
            height=out.height,
            has_alpha=out.mode == "RGBA",
        )
