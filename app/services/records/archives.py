"""Zip containers (.zip, and .docx, .xlsx, .ofd, which are zips) checked before they are kept.

A zip bomb is a small file that expands into gigabytes in whoever opens it (a reviewer's Word,
an auditor's unzip). Refused: more than ``MAX_MEMBERS`` members, more than ``MAX_EXPANDED``
bytes in all, or an expansion ratio past ``MAX_RATIO`` (of the whole, or of any member past
``RATIO_FROM`` bytes: office files' XML compresses 5-20 times, images hardly, a bomb a thousand
times). The sizes a zip declares may lie, so every member is read through as well: ``zipfile``
stops at the declared size and checks the CRC, so a member whose content is not what it declares
is refused as damaged, and no more than the limits is ever decompressed here; a compressed
stream longer than its declared size allows is refused too. (What is not caught: a stream that
stays within those bounds yet expands past its declared size for a tool that ignores the
declared sizes; most honour them.) An encrypted member cannot be checked and is refused; so is
a file that is not a readable zip at all.
"""

from __future__ import annotations

import io
import zipfile
import zlib

MIB = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_EXPANDED = 200 * MIB
MAX_RATIO = 100
RATIO_FROM = 1 * MIB  # smaller members may compress well without harm
_CHUNK = 1 * MIB


def problem(content: bytes) -> str | None:
    """Why this zip container must not be kept, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            declared = _declared_problem(members, len(content))
            if declared:
                return declared
            for member in members:
                if member.flag_bits & 0x1:
                    return "压缩文件已加密，无法检查其内容"
                with archive.open(member) as stream:
                    while stream.read(_CHUNK):
                        pass  # zipfile checks the size and CRC as it reads
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error):
        return "压缩文件已损坏或无法读取"
    except (RuntimeError, ValueError):  # e.g. an unsupported or malformed member header
        return "压缩文件已损坏或无法读取"
    return None


def _declared_problem(members: list[zipfile.ZipInfo], size: int) -> str | None:
    if len(members) > MAX_MEMBERS:
        return f"压缩文件内的文件过多（上限 {MAX_MEMBERS} 个）"
    expanded = sum(m.file_size for m in members)
    if expanded > MAX_EXPANDED:
        return f"压缩文件解压后过大（上限 {MAX_EXPANDED // MIB} MiB）"
    # deflate adds a few bytes per block at worst: a longer stream hides more than it declares
    if any(m.compress_size > m.file_size + m.file_size // 100 + 1024 for m in members):
        return "压缩文件已损坏（声明的大小与内容不符）"
    too_dense = any(
        m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if too_dense or (expanded > RATIO_FROM and expanded > MAX_RATIO * size):
        return f"压缩文件的压缩比异常（超过 {MAX_RATIO} 倍），疑似压缩炸弹"
    return None
