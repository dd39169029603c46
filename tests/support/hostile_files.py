"""Hostile files for the tests and the security bench: a .docx with members of zeros that inflate
to any size (a zip bomb) while the file stays small."""

from __future__ import annotations

import io
import zipfile
import zlib

MB = 1024 * 1024


class ZerosDeflater:
    """Stands in for zipfile's compressor (its private `_compressor`: the only way to write a
    1.1 GB member in well under a second): a 1 MiB block of zeros deflates to the same ~1 KB
    with a full flush."""

    block = bytes(MB)

    def __init__(self):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.deflated = c.compress(self.block) + c.flush(zlib.Z_FULL_FLUSH)

    def compress(self, data: bytes) -> bytes:
        assert data == self.block
        return self.deflated

    def flush(self) -> bytes:
        return zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def with_members(docx: bytes, extra: dict[str, bytes | int]) -> bytes:
    """`docx` plus members: bytes as they are, an int n as n MiB of zeros."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info))
        for name, content in extra.items():
            if isinstance(content, bytes):
                zf.writestr(name, content)
                continue
            with zf.open(name, "w", force_zip64=True) as member:
                member._compressor = ZerosDeflater()
                for _ in range(content):
                    member.write(ZerosDeflater.block)
    return out.getvalue()
