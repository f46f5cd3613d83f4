"""An animated GIF written a few frames at a time, byte for byte what Pillow writes for the whole list."""

from __future__ import annotations

import io

from PIL import Image


class GifStream:
    """An animated GIF written a few frames at a time, with the bytes that Pillow's own writer
    gives for the whole list of frames (``save(save_all=True, append_images=...)``).

    Pillow's writer keeps every frame until the end (a frame the same as the one before only
    lengthens that one); each later frame is written as the rectangle where it differs from
    the frame before. So frames are handed to it in groups of :attr:`GROUP`, each group after
    the first led by the last frame of the group before (which the rest are measured
    against); the leading frame's own block is dropped, the time it gives that frame is kept,
    and the last block of each group waits for the next (which may lengthen it). Frames are
    "P" images of one size; durations in milliseconds (GIF counts hundredths).
    """

    GROUP = 16

    def __init__(self, out: io.BytesIO, *, loop: int = 0) -> None:
        self.out, self.loop = out, loop
        self.frames: list[Image.Image] = []  # not yet handed to Pillow
        self.durations: list[int] = []
        self.last: tuple[Image.Image, int] | None = None  # the last frame handed over, and its time so far
        self.held: bytes | None = None  # that frame's block, not yet written

    def add(self, frame: Image.Image, duration: int) -> None:
        if not (isinstance(duration, int) and duration >= 10):
            msg = f"Invalid duration: {duration!r} (whole milliseconds, at least 10)"
            raise ValueError(msg)
        self.frames.append(frame)
        self.durations.append(duration)
        if len(self.frames) >= self.GROUP:
            self._flush(closing=False)

    def close(self) -> None:
        """Write what is left and the end of the file."""
        self._flush(closing=True)
        if self.held is not None:
            self.out.write(self.held)
        self.out.write(b";")

    def _flush(self, *, closing: bool) -> None:
        if not self.frames:
            return
        frames, durations = self.frames, self.durations
        if self.last is not None:
            frames, durations = [self.last[0], *frames], [self.last[1], *durations]
        written = io.BytesIO()
        frames[0].save(
            written, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=self.loop
        )
        header, blocks = _gif_blocks(written.getvalue())
        if self.last is None and len(blocks) == 1 and not closing:
            # Every frame so far is the same picture, which Pillow writes as a still: wait for another.
            self.frames, self.durations = [frames[0]], [sum(durations)]
            return
        if self.last is None:
            self.out.write(header)
        else:
            self.held = _with_hundredths(self.held, _hundredths(blocks[0]))
            blocks = blocks[1:]
        if blocks:
            if self.held is not None:
                self.out.write(self.held)
            self.out.write(b"".join(blocks[:-1]))
            self.held = blocks[-1]
        self.last = (frames[-1], 10 * _hundredths(self.held))
        self.frames, self.durations = [], []


def _gif_blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """A GIF file's header (signature, screen, global colours and the extensions before the
    first frame) and each frame's bytes (its graphic control extension and its image)."""
    at = 13
    if data[10] & 0x80:  # a global colour table
        at += 3 << ((data[10] & 7) + 1)
    blocks: list[bytes] = []
    header_end, frame_start = None, None
    while data[at] != 0x3B:  # the trailer
        begin = at
        if data[at] == 0x21:  # an extension: its label, then sub-blocks
            label = data[at + 1]
            at = _after_sub_blocks(data, at + 2)
            if label == 0xF9 and frame_start is None:  # a frame's graphic control
                frame_start = begin
            continue
        # an image: descriptor, local colours, the LZW code size, then sub-blocks
        flags = data[at + 9]
        at += 10 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
        at = _after_sub_blocks(data, at + 1)
        first = begin if frame_start is None else frame_start
        if header_end is None:
            header_end = first
        blocks.append(data[first:at])
        frame_start = None
    return data[:header_end], blocks


def _after_sub_blocks(data: bytes, at: int) -> int:
    while data[at]:
        at += data[at] + 1
    return at + 1


def _hundredths(block: bytes) -> int:
    """How long a frame shows (its graphic control extension's delay), in hundredths of a second."""
    if block[:2] != b"\x21\xf9":
        msg = "a GIF frame without a delay"
        raise ValueError(msg)
    return int.from_bytes(block[4:6], "little")


def _with_hundredths(block: bytes, hundredths: int) -> bytes:
    return block[:4] + hundredths.to_bytes(2, "little") + block[6:]
