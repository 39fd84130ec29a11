"""Official documents as PDF, ready to print: LibreOffice (Debian's ``libreoffice-writer-nogui``)
converts the .docx headless, keeping its GB/T 9704 page (A4, margins, page numbers); the fonts
the standard names fall back to installed CJK fonts of the same kind (``app/documents/fonts.conf``).

Without LibreOffice on the server, PDF is not offered and a request for one says why. Each
conversion runs in its own LibreOffice profile, so conversions in parallel do not collide. A
document never changes once rendered, so its PDF is kept in a cache folder under the .docx's
sha256 (a conversion takes seconds; the second print of a document is a file read).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from app.errors import ServiceError

FONTS = Path(__file__).resolve().parents[2] / "documents" / "fonts.conf"
TIMEOUT_S = 120


class PdfUnavailable(ServiceError):
    status = 503

    def __init__(self, why: str) -> None:
        super().__init__(why)


def converter() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return converter() is not None


def from_docx(content: bytes, cache: Path | None = None) -> bytes:
    """The .docx as PDF; with ``cache``, kept there under the content's sha256 and read from it."""
    if cache is None:
        return _convert(content)
    kept = cache / f"{hashlib.sha256(content).hexdigest()}.pdf"
    if kept.exists():
        return kept.read_bytes()
    printed = _convert(content)
    cache.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.part")  # another process may convert it too
    partial.write_bytes(printed)
    partial.replace(kept)
    return printed


def _convert(content: bytes) -> bytes:
    program = converter()
    if program is None:
        raise PdfUnavailable("服务器未安装 LibreOffice，暂不能生成 PDF，请下载 .docx 文件打印")
    with tempfile.TemporaryDirectory(prefix="huajie-pdf-") as folder:
        work = Path(folder)
        source = work / "document.docx"
        source.write_bytes(content)
        # its own small environment: the fonts' aliases, a home of its own, nothing inherited
        env = {"PATH": os.defpath, "LANG": "C.UTF-8", "FONTCONFIG_FILE": str(FONTS), "HOME": folder}
        command = [
            program, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
            "--norestore", "--convert-to", "pdf:writer_pdf_Export", "--outdir", folder,
            str(source),
        ]  # fmt: skip
        try:
            subprocess.run(
                command, env=env, cwd=folder, capture_output=True, timeout=TIMEOUT_S, check=True
            )
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError, OSError) as exc:
            raise PdfUnavailable("PDF 生成失败，请稍后重试或下载 .docx 文件打印") from exc
        result = work / "document.pdf"
        if not result.exists():
            raise PdfUnavailable("PDF 生成失败，请稍后重试或下载 .docx 文件打印")
        return result.read_bytes()
