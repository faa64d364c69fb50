"""Untrusted image bytes in, a checked source out: the only door uploads come through."""

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

import cv2
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
# A JPEG upload is kept as it came, less its metadata, in these modes (others, CMYK say,
# are converted). Kept segments: APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour
# transform); every other APPn (EXIF with its GPS position, XMP, IPTC) and comments go.
KEPT_JPEG_MODES = ("RGB", "L")
_KEPT_APPS = (0xE0, 0xE2, 0xEE)
_COMMENT = 0xFE
_STANDALONE = (0x01, *range(0xD0, 0xD8))
_SIDEWAYS = (5, 6, 7, 8)
# Workers decode at most this many pixels: a bigger photo comes at a half or a quarter of
# its size (straight from the JPEG decoder), which still holds the product at the output's
# resolution unless it fills little of a very large photo.
RENDER_PIXELS = 16_000_000
_JPEG_READS = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}
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


def _exif_orientation_segment(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    payload = exif.tobytes()  # b"Exif\0\0" and a TIFF block with the one tag
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def strip_jpeg(data: bytes, orientation: int = 1) -> bytes | None:
    """The same JPEG without its metadata segments, byte for byte otherwise; the
    orientation, when the picture needs turning, goes back in as an EXIF block of one tag.
    Segments are walked up to the first scan, whose coded data and all that follows are
    copied as they are. ``None`` when the segments don't add up."""
    if not data.startswith(b"\xff\xd8"):
        return None
    segments: list[bytes] = []
    position, size = 2, len(data)
    while True:
        if position >= size or data[position] != 0xFF:
            return None
        start = position
        while position < size and data[position] == 0xFF:  # fill bytes before a marker
            position += 1
        if position >= size:
            return None
        marker = data[position]
        position += 1
        if marker == _START_OF_SCAN:
            segments.append(data[start:])
            break
        if marker in _STANDALONE:
            continue
        if marker in (_START_OF_IMAGE, _END_OF_IMAGE) or position + 2 > size:
            return None
        end = position + (data[position] << 8 | data[position + 1])
        if end <= position + 1 or end > size:
            return None
        metadata = 0xE0 <= marker <= 0xEF and marker not in _KEPT_APPS
        if not metadata and marker != _COMMENT:
            segments.append(data[start:end])
        position = end
    if orientation != 1:
        after_jfif = 1 if segments[0][1] == 0xE0 else 0
        segments.insert(after_jfif, _exif_orientation_segment(orientation))
    return b"\xff\xd8" + b"".join(segments)


def source_pixels(data: bytes, budget: int = RENDER_PIXELS) -> np.ndarray:
    """A stored source's pixels, upright, RGB or RGBA 8 bits a channel, straight from
    OpenCV's decoder into one array. A photo over ``budget`` pixels is read at a half (a
    quarter, an eighth) of its size: a JPEG is decoded straight to it, so a 40 MP photo
    never lies whole in memory."""
    with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as im:
        kind, (width, height) = im.format, im.size
    buffer = np.frombuffer(data, np.uint8)
    if kind == "JPEG":
        factor = 1
        while width * height > budget * factor * factor and factor < 8:
            factor *= 2
        # The reduced modes include IMREAD_COLOR (BGR); asking for RGB replaces that bit.
        flags = _JPEG_READS[factor] & ~cv2.IMREAD_COLOR | cv2.IMREAD_COLOR_RGB
        pixels = cv2.imdecode(buffer, flags)  # the EXIF orientation is applied here
    else:
        pixels = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if pixels is None:  # it was checked on the way in: the stored copy is damaged
        raise BadInput(messages.SOURCE_GONE)
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB)
    elif kind == "PNG":
        swap = cv2.COLOR_BGRA2RGBA if pixels.shape[2] == 4 else cv2.COLOR_BGR2RGB
        pixels = cv2.cvtColor(pixels, swap, dst=pixels)
    height, width = pixels.shape[:2]
    if width * height > budget:
        k = (budget / (width * height)) ** 0.5
        size = (max(1, int(width * k)), max(1, int(height * k)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    return pixels


def upright(data: bytes) -> tuple[bytes, str]:
    """A stored source as a file another service can take, with its media type: itself
    when it needs no turning, else the pixels turned upright in a PNG."""
    if sniff(data) == "PNG":
        return data, "image/png"
    with Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
        if _orientation(im) == 1:
            return data, "image/jpeg"
        im.load()
        buffer = io.BytesIO()
        _normalise(_orient(im)).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue(), "image/png"


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

    A JPEG in RGB or grey is kept as it came, less its metadata, once all of it has been
    decoded (at an eighth of its size: that is tens of milliseconds for 12 MP, and the
    worker decodes it again at the size it needs); anything else is normalised to an RGB
    or RGBA PNG with its EXIF orientation applied.

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
        with self._open(data, kind) as im:
            self._check_size(im.size)
            if kind == "JPEG" and im.mode in KEPT_JPEG_MODES:
                kept = self._kept_jpeg(im, data)
                if kept is not None:
                    return kept
            self._load(im)
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

    def _open(self, data: bytes, kind: str) -> ImageFile.ImageFile:
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
        if im.format != kind:
            im.close()
            raise BadInput(messages.IMAGE_NOT_SUPPORTED)
        return im

    def _load(self, im: ImageFile.ImageFile) -> None:
        try:
            im.seek(0)
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise self._too_many_pixels() from None
        except _DAMAGED:
            raise BadInput(messages.IMAGE_TRUNCATED) from None

    def _kept_jpeg(self, im: ImageFile.ImageFile, data: bytes) -> SourceImage | None:
        """The upload itself, its metadata dropped, once every byte of it has been decoded
        at an eighth of its size (libjpeg reads all of the coded data at any scale, so a
        damaged file fails here; only the last inverse transform is smaller). ``None``
        when its segments can't be walked, and it is normalised instead."""
        orientation = _orientation(im)
        width, height = im.size
        im.draft(im.mode, (max(1, width // 8), max(1, height // 8)))
        self._load(im)
        kept = strip_jpeg(data, orientation)
        if kept is None:
            return None
        if orientation in _SIDEWAYS:
            width, height = height, width
        return SourceImage(data=kept, width=width, height=height, has_alpha=False)
