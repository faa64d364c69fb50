"""The decoder: what it refuses, and how it normalises what it accepts."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from adapters.imaging.decode import PillowDecoder, jpeg_scans, sniff, source_pixels, strip_jpeg
from core import messages
from core.errors import BadInput
from core.imaging import SourceImage
from tests.adapters.imaging.photos import encode, png_claiming, product_photo


def pixels(source: SourceImage) -> np.ndarray:
    """What a worker reads from the stored source: a kept JPEG, or an RGB(A) PNG."""
    with Image.open(io.BytesIO(source.data)) as im:
        assert im.format in ("JPEG", "PNG")
        assert im.format == "JPEG" or im.mode in ("RGB", "RGBA")
    return source_pixels(source.data)


async def refused(decoder: PillowDecoder, data: bytes) -> str:
    with pytest.raises(BadInput) as caught:
        await decoder.load(data)
    return caught.value.message


async def test_a_jpeg_photo_is_kept_as_it_came(decoder: PillowDecoder) -> None:
    data = encode(product_photo(), "JPEG", quality=90)
    source = await decoder.load(data)
    assert (source.width, source.height, source.has_alpha) == (480, 360, False)
    assert source.data == data and source.media_type == "image/jpeg"
    assert pixels(source).shape == (360, 480, 3)


async def test_a_kept_jpeg_loses_its_metadata_but_not_a_pixel(decoder: PillowDecoder) -> None:
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # a GPS position
    exif[0x010F] = "PhoneMaker"
    photo = io.BytesIO()
    product_photo().save(photo, "JPEG", quality=90, exif=exif.tobytes(), comment=b"at home")
    data = photo.getvalue()
    source = await decoder.load(data)
    assert b"PhoneMaker" not in source.data and b"at home" not in source.data
    assert len(source.data) < len(data)
    with Image.open(io.BytesIO(source.data)) as kept, Image.open(io.BytesIO(data)) as original:
        assert "exif" not in kept.info and "comment" not in kept.info
        assert np.array_equal(np.asarray(kept), np.asarray(original))


async def test_a_progressive_grey_jpeg_is_kept_too(decoder: PillowDecoder) -> None:
    grey = product_photo().convert("L")
    data = encode(grey, "JPEG", quality=90, progressive=True)
    source = await decoder.load(data)
    assert source.media_type == "image/jpeg"
    out = pixels(source)
    assert out.shape == (360, 480, 3)
    with Image.open(io.BytesIO(data)) as original:
        assert np.array_equal(out[..., 1], np.asarray(original))


def test_segments_that_do_not_add_up_are_not_kept() -> None:
    data = encode(product_photo(), "JPEG", quality=90)
    assert strip_jpeg(data) == data
    assert strip_jpeg(data[:2] + b"\x00" + data[2:]) is None  # no marker where one must be
    assert strip_jpeg(data[:4] + b"\xff\xff" + data[6:]) is None  # a length past the end
    assert strip_jpeg(b"\xff\xd8\xff\xe0") is None
    assert strip_jpeg(b"not a jpeg") is None


async def test_a_worker_reads_a_large_photo_at_half_size() -> None:
    image = Image.new("RGB", (1000, 800), (200, 30, 30))
    image.paste((10, 10, 200), (0, 0, 500, 800))
    source = await PillowDecoder().load(encode(image, "JPEG", quality=95))
    out = source_pixels(source.data, budget=300_000)
    assert out.shape == (400, 500, 3)
    assert out[200, 100].tolist()[2] > 180 and out[200, 400][0] > 180


async def test_a_text_file_named_png_is_refused(decoder: PillowDecoder, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_text("this is not an image, whatever its name says\n" * 10)
    assert await refused(decoder, path.read_bytes()) == messages.IMAGE_NOT_SUPPORTED


async def test_a_gif_is_refused_even_though_pillow_reads_it(decoder: PillowDecoder) -> None:
    data = encode(Image.new("RGB", (100, 100), (200, 10, 10)), "GIF")
    assert await refused(decoder, data) == messages.IMAGE_NOT_SUPPORTED


async def test_a_truncated_png_is_refused(decoder: PillowDecoder) -> None:
    data = encode(product_photo())
    assert await refused(decoder, data[: len(data) // 2]) == messages.IMAGE_TRUNCATED


async def test_a_truncated_jpeg_is_refused(decoder: PillowDecoder) -> None:
    data = encode(product_photo(), "JPEG", quality=90)
    assert await refused(decoder, data[: len(data) * 2 // 3]) == messages.IMAGE_TRUNCATED


async def test_a_png_with_a_broken_header_is_refused(decoder: PillowDecoder) -> None:
    data = bytearray(encode(product_photo()))
    data[20:28] = b"\xff" * 8  # inside IHDR: the checksum no longer matches
    assert await refused(decoder, bytes(data)) == messages.IMAGE_TRUNCATED


async def test_a_decompression_bomb_is_refused_from_its_header(decoder: PillowDecoder) -> None:
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 200
    assert await refused(decoder, bomb) == messages.IMAGE_TOO_MANY_PIXELS.format(limit_mp=40)


async def test_a_picture_just_over_the_pixel_limit_is_refused_without_a_warning() -> None:
    # 100 MP: above Pillow's own warning threshold, which must not fire (warnings are errors).
    decoder = PillowDecoder()
    assert await refused(decoder, png_claiming(10_000, 10_000)) == (
        messages.IMAGE_TOO_MANY_PIXELS.format(limit_mp=40)
    )


async def test_the_pixel_limit_is_a_constructor_argument() -> None:
    decoder = PillowDecoder(max_pixels=100_000)
    data = encode(Image.new("RGB", (400, 300), (10, 10, 10)))
    assert await refused(decoder, data) == messages.IMAGE_TOO_MANY_PIXELS.format(limit_mp=0)


async def test_a_file_over_20_mb_is_refused_before_anything_else(decoder: PillowDecoder) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(20 * 1024 * 1024)
    assert await refused(decoder, data) == messages.IMAGE_TOO_LARGE.format(limit_mb=20)


async def test_a_tiny_image_is_refused(decoder: PillowDecoder) -> None:
    data = encode(Image.new("RGB", (300, 40), (10, 10, 10)))
    assert await refused(decoder, data) == messages.IMAGE_TOO_SMALL.format(minimum=64)


async def test_a_cmyk_jpeg_is_converted_to_rgb(decoder: PillowDecoder) -> None:
    data = encode(Image.new("CMYK", (120, 80), (0, 255, 255, 0)), "JPEG", quality=95)
    red = pixels(await decoder.load(data))[40, 60]
    assert red[0] > 230 and red[1] < 30 and red[2] < 30


async def test_a_16_bit_png_is_scaled_to_8_bits(decoder: PillowDecoder) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    image = Image.fromarray(ramp)
    assert image.mode == "I;16"
    out = pixels(await decoder.load(encode(image)))
    assert out.shape == (64, 256, 3)
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255 and 120 < out[0, 128, 0] < 135


async def test_a_palette_png_with_transparency_keeps_it(decoder: PillowDecoder) -> None:
    image = Image.new("P", (100, 100), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.paste(1, (0, 0, 50, 100))
    source = await decoder.load(encode(image, transparency=1))
    out = pixels(source)
    assert source.has_alpha
    assert out[50, 10, 3] == 0 and tuple(out[50, 80]) == (255, 0, 0, 255)


async def test_an_opaque_alpha_channel_is_dropped(decoder: PillowDecoder) -> None:
    source = await decoder.load(encode(Image.new("RGBA", (100, 100), (1, 2, 3, 255))))
    assert not source.has_alpha
    assert pixels(source).shape == (100, 100, 3)


async def test_greyscale_with_alpha_becomes_rgba(decoder: PillowDecoder) -> None:
    image = Image.new("LA", (100, 100), (128, 255))
    image.paste((128, 0), (0, 0, 100, 20))
    source = await decoder.load(encode(image))
    assert source.has_alpha and pixels(source)[50, 50].tolist() == [128, 128, 128, 255]


async def test_a_one_bit_png_becomes_rgb(decoder: PillowDecoder) -> None:
    image = Image.new("1", (100, 100), 1)
    source = await decoder.load(encode(image))
    assert pixels(source)[5, 5].tolist() == [255, 255, 255]


async def test_the_exif_orientation_is_applied(decoder: PillowDecoder) -> None:
    image = Image.new("RGB", (200, 100), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 40, 100))  # a black band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to view
    source = await decoder.load(encode(image, "JPEG", quality=95, exif=exif.tobytes()))
    out = pixels(source)
    assert (source.width, source.height) == (100, 200)
    assert out.shape == (200, 100, 3)
    assert out[10, 50].max() < 40  # the band is now along the top
    assert out[190, 50].min() > 215
    assert b"Exif" in source.data and len(Image.open(io.BytesIO(source.data)).getexif()) == 1


async def test_a_webp_is_accepted(decoder: PillowDecoder) -> None:
    source = await decoder.load(encode(product_photo(), "WEBP", quality=80))
    assert (source.width, source.height) == (480, 360)


async def test_an_animated_webp_gives_its_first_frame(decoder: PillowDecoder) -> None:
    frames = [Image.new("RGB", (80, 80), colour) for colour in ((250, 0, 0), (0, 0, 250))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    out = pixels(await decoder.load(data))
    assert out[40, 40].tolist() == [250, 0, 0]


def test_formats_are_recognised_by_their_first_bytes() -> None:
    assert sniff(encode(Image.new("RGB", (8, 8)), "WEBP")) == "WEBP"
    assert sniff(encode(Image.new("RGB", (8, 8)), "JPEG")) == "JPEG"
    assert sniff(encode(Image.new("RGB", (8, 8)), "BMP")) is None


def progressive_jpeg(extra_scans: int = 0) -> bytes:
    """A 200×200 progressive JPEG, its last scan repeated ``extra_scans`` more times: each
    repeat is another pass over the whole picture for the decoder."""
    data = encode(product_photo(200, 200), "JPEG", quality=90, progressive=True)
    last, end = data.rindex(b"\xff\xda"), data.rindex(b"\xff\xd9")
    return data[:end] + data[last:end] * extra_scans + data[end:]


async def test_an_ordinary_progressive_jpeg_is_accepted(decoder: PillowDecoder) -> None:
    data = progressive_jpeg()
    assert 2 < jpeg_scans(data) <= 64
    source = await decoder.load(data)
    assert (source.width, source.height) == (200, 200)


async def test_a_jpeg_with_hundreds_of_scans_is_refused_before_it_is_decoded(
    decoder: PillowDecoder,
) -> None:
    data = progressive_jpeg(extra_scans=100)
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # nothing else is wrong with it: Pillow alone would spend the time
    assert await refused(decoder, data) == messages.IMAGE_TOO_MANY_SCANS
    assert await refused(PillowDecoder(max_scans=3), progressive_jpeg()) == (
        messages.IMAGE_TOO_MANY_SCANS
    )


def metadata_holding(content: bytes, segment: str) -> dict[str, bytes]:
    """Save options that put ``content`` in a COM segment, or in an APP1 (EXIF) one."""
    if segment == "comment":
        return {"comment": content}
    exif = Image.Exif()
    exif[0x927C] = content  # a maker note: bytes the camera maker may fill as it likes
    return {"exif": exif.tobytes()}


@pytest.mark.parametrize("segment", ["comment", "exif"])
async def test_scan_markers_inside_metadata_are_not_counted_as_scans(
    decoder: PillowDecoder, segment: str
) -> None:
    metadata = metadata_holding(b"\xff\xda" * 200, segment)
    data = encode(product_photo(), "JPEG", quality=90, **metadata)
    assert data.count(b"\xff\xda") > 200
    assert jpeg_scans(data) == 1
    assert (await decoder.load(data)).width == 480


def test_scans_behind_fill_bytes_or_junk_are_still_counted() -> None:
    data = progressive_jpeg(extra_scans=100)
    padded = data.replace(b"\xff\xda", b"junk\xff\x00\xff\xff\xff\xda")
    assert jpeg_scans(padded) == jpeg_scans(data) == data.count(b"\xff\xda") > 100


def test_a_damaged_jpeg_never_breaks_the_scan_count() -> None:
    data = progressive_jpeg()
    whole = jpeg_scans(data)
    assert all(0 <= jpeg_scans(data[:end]) <= whole for end in range(len(data) + 1))
    noise = np.random.default_rng(7).integers(0, 256, (40, 4096), dtype=np.uint8)
    assert all(jpeg_scans(b"\xff\xd8\xff" + row.tobytes()) >= 0 for row in noise)
    assert jpeg_scans(b"\xff\xd8" + b"\xff\xfe\x00\x00" * 1000 + b"\xff\xda\x00") == 1


def corrupt_exif(entries: int = 4000, orientation: int | None = None) -> bytes:
    """An EXIF block whose first directory claims ``entries`` tags, each with more data
    than the whole file at an offset past its end: Pillow warns once for every one."""
    tags = [struct.pack("<HHLL", 0x9000 + i, 7, 0x1000_0000, 0x7FFF_0000) for i in range(entries)]
    if orientation is not None:
        tags.insert(0, struct.pack("<HHLHH", 0x0112, 3, 1, orientation, 0))
    directory = struct.pack("<H", len(tags)) + b"".join(tags) + b"\x00" * 4
    return b"Exif\x00\x00II*\x00" + struct.pack("<L", 8) + directory


async def test_a_huge_corrupt_exif_block_is_read_without_a_warning(
    decoder: PillowDecoder,
) -> None:
    data = encode(product_photo(), "JPEG", quality=90, exif=corrupt_exif())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        source = await decoder.load(data)
    assert [str(w.message) for w in seen] == []
    assert (source.width, source.height) == (480, 360)


async def test_an_orientation_beside_corrupt_exif_tags_is_still_applied(
    decoder: PillowDecoder,
) -> None:
    data = encode(product_photo(), "JPEG", quality=90, exif=corrupt_exif(orientation=6))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        source = await decoder.load(data)
    assert [str(w.message) for w in seen] == []
    assert (source.width, source.height) == (360, 480)


async def test_a_16_bit_picture_is_scaled_without_a_wide_copy_of_it(
    decoder: PillowDecoder,
) -> None:
    side = 2000
    ramp = np.tile(np.linspace(0, 65535, side).astype(np.uint16), (side, 1))
    data = encode(Image.fromarray(ramp))
    tracemalloc.start()
    try:
        source = await decoder.load(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out = pixels(source)
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255
    assert peak < 4 * side * side  # floats alone would take 8 bytes a pixel


class Watched(PillowDecoder):
    """The real decoder, counting the decodes that run at once; each waits at a gate."""

    def __init__(self, **options: int) -> None:
        super().__init__(**options)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.two_in = threading.Event()
        self.gate = threading.Event()

    def _decode(self, data: bytes, kind: str) -> SourceImage:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            if self.running >= 2:
                self.two_in.set()
        try:
            self.gate.wait(timeout=10)
            return super()._decode(data, kind)
        finally:
            with self.lock:
                self.running -= 1


async def test_at_most_two_pictures_are_decoded_at_once() -> None:
    decoder = Watched()
    data = encode(product_photo(), "JPEG", quality=90)
    loads = [asyncio.create_task(decoder.load(data)) for _ in range(5)]
    assert await asyncio.to_thread(decoder.two_in.wait, 10)
    decoder.gate.set()
    done = await asyncio.gather(*loads)
    assert len(done) == 5 and decoder.most == 2


async def test_a_refused_picture_frees_its_turn() -> None:
    decoder = PillowDecoder(concurrency=1)
    data = encode(product_photo(), "PNG")
    for _ in range(3):
        assert await refused(decoder, data[: len(data) // 2]) == messages.IMAGE_TRUNCATED
    assert (await decoder.load(data)).width == 480
