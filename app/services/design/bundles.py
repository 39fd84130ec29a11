"""What a process owner uploads to deploy a definition: the .bpmn with its .dmn decision tables
and its form .json files, as several files or as one .zip of them.

Every size is bounded before it is read in full: a zip passes the archive checks every kept zip
passes (``records.archives``: member count, expansion, ratio, CRC) and its entries are then read
with a cap whatever their headers claim. Names are plain relative paths, and every problem is
reported at once in Chinese naming the file.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from app.engine import MAX_BPMN_BYTES, DefinitionProblem
from app.services.records import archives

MAX_FILES = 100
MAX_DMN_BYTES = 1024 * 1024
MAX_FORM_BYTES = 256 * 1024
MAX_ZIP_BYTES = 8 * 1024 * 1024  # the upload itself
MAX_TOTAL_BYTES = 16 * 1024 * 1024  # everything a zip unpacks to
MAX_UPLOAD_BYTES = MAX_ZIP_BYTES  # what a view reads of one uploaded part
BPMN_SUFFIXES = (".bpmn", ".xml")
KINDS = "可上传 .bpmn（流程图）、.dmn（决策表）、.json（表单）或含这些文件的 .zip"


@dataclass
class UploadedFile:
    name: str
    content: bytes


@dataclass
class Bundle:
    """One definition's files: its diagram, decision tables and forms (by path)."""

    bpmn_name: str
    bpmn: bytes
    decisions: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, bytes] = field(default_factory=dict)
    warnings: list[DefinitionProblem] = field(default_factory=list)


def read(files: list[UploadedFile]) -> tuple[Bundle | None, list[DefinitionProblem]]:
    """The bundle, or None and every problem with it."""
    if not files:
        return None, [DefinitionProblem("", f"没有上传文件：{KINDS}")]
    problems: list[DefinitionProblem] = []
    warnings: list[DefinitionProblem] = []
    zips = [f for f in files if f.name.lower().endswith(".zip")]
    if zips:
        if len(files) > 1:
            return None, [
                DefinitionProblem("", "上传 .zip 时只能上传这一个文件（其余文件请放入 zip 中）")
            ]
        files, problems, warnings = _unzip(zips[0])
        if problems:
            return None, problems
    if len(files) > MAX_FILES:
        return None, [DefinitionProblem("", f"文件过多：至多 {MAX_FILES} 个")]
    bpmn: list[UploadedFile] = []
    bundle = Bundle("", b"", warnings=warnings)
    seen: set[str] = set()
    for item in files:
        name = item.name
        if name in seen:
            problems.append(DefinitionProblem("", f"文件重名：{name}"))
            continue
        seen.add(name)
        lower = name.lower()
        if lower.endswith(BPMN_SUFFIXES):
            bpmn.append(item)
            limit = MAX_BPMN_BYTES
        elif lower.endswith(".dmn"):
            bundle.decisions[name] = item.content
            limit = MAX_DMN_BYTES
        elif lower.endswith(".json"):
            bundle.forms[name] = item.content
            limit = MAX_FORM_BYTES
        else:
            problems.append(DefinitionProblem("", f"不支持的文件类型：{name}（{KINDS}）"))
            continue
        if len(item.content) > limit:
            problems.append(DefinitionProblem("", f"文件过大：{name}（上限 {_size(limit)}）"))
    if len(bpmn) != 1:
        found = "、".join(f.name for f in bpmn) or "无"
        problems.append(
            DefinitionProblem("", f"请上传 .bpmn 文件：须恰好一个流程图（找到：{found}）")
        )
    if problems:
        return None, problems
    bundle.bpmn_name, bundle.bpmn = posixpath.basename(bpmn[0].name), bpmn[0].content
    # names relative to the diagram's folder: a zip of a folder is the same version as its files
    folder = posixpath.dirname(bpmn[0].name)
    if folder:
        bundle.decisions = {_relative(k, folder): v for k, v in bundle.decisions.items()}
        bundle.forms = {_relative(k, folder): v for k, v in bundle.forms.items()}
    return bundle, []


def _relative(name: str, folder: str) -> str:
    return name[len(folder) + 1 :] if name.startswith(folder + "/") else name


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def _limit(name: str) -> int | None:
    lower = name.lower()
    if lower.endswith(BPMN_SUFFIXES):
        return MAX_BPMN_BYTES
    if lower.endswith(".dmn"):
        return MAX_DMN_BYTES
    if lower.endswith(".json"):
        return MAX_FORM_BYTES
    return None


def _unzip(
    upload: UploadedFile,
) -> tuple[list[UploadedFile], list[DefinitionProblem], list[DefinitionProblem]]:
    """The files in a zip (read with caps), the problems, and the entries left out."""
    label = upload.name
    if len(upload.content) > MAX_ZIP_BYTES:
        return [], [DefinitionProblem("", f"文件过大：{label}（上限 {_size(MAX_ZIP_BYTES)}）")], []
    refused = archives.problem(upload.content)
    if refused:
        return [], [DefinitionProblem("", f"{label}：{refused}")], []
    files: list[UploadedFile] = []
    problems: list[DefinitionProblem] = []
    skipped: list[str] = []
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(upload.content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_FILES * 2:
                return (
                    [],
                    [DefinitionProblem("", f"{label} 中的条目过多：至多 {MAX_FILES * 2} 个")],
                    [],
                )
            for info in entries:
                if info.is_dir():
                    continue
                name = _entry_name(info.filename)
                if name is None:
                    problems.append(
                        DefinitionProblem("", f"{label} 中有不安全的路径：{info.filename}")
                    )
                    continue
                base = posixpath.basename(name)
                if name.startswith("__MACOSX/") or base.startswith("."):
                    continue
                limit = _limit(name)
                if limit is None:
                    skipped.append(name)
                    continue
                if info.flag_bits & 0x1:
                    problems.append(DefinitionProblem("", f"{label} 中的 {name} 已加密，无法读取"))
                    continue
                if info.file_size > limit:
                    problems.append(
                        DefinitionProblem("", f"文件过大：{name}（上限 {_size(limit)}）")
                    )
                    continue
                with archive.open(info) as entry:
                    data = entry.read(limit + 1)
                if len(data) > limit:  # the header understated it
                    problems.append(
                        DefinitionProblem("", f"文件过大：{name}（上限 {_size(limit)}）")
                    )
                    continue
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    return (
                        [],
                        [
                            DefinitionProblem(
                                "", f"{label} 解压后过大（上限 {_size(MAX_TOTAL_BYTES)}）"
                            )
                        ],
                        [],
                    )
                files.append(UploadedFile(name, data))
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ):
        return (
            [],
            [DefinitionProblem("", f"{label} 不是有效的 zip 文件（或使用了不支持的压缩方式）")],
            [],
        )
    warnings = []
    if skipped:
        shown = "、".join(skipped[:10]) + ("等" if len(skipped) > 10 else "")
        warnings.append(
            DefinitionProblem(
                "", f"zip 中以下文件不是流程图、决策表或表单，已忽略：{shown}", "warning"
            )
        )
    return files, problems, warnings


def _entry_name(raw: str) -> str | None:
    """A zip entry's name as a plain relative path, or None when it would leave the folder."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normalized = posixpath.normpath(name)
    if normalized.startswith("../") or normalized == ".." or "\x00" in normalized:
        return None
    return normalized


def find(files: dict[str, bytes], wanted: str) -> tuple[str, bytes] | None:
    """The uploaded file a task's form property names: the same path, else the only file whose
    path ends with it, else the only file with its name."""
    if wanted in files:
        return wanted, files[wanted]
    suffix = [name for name in files if name.endswith("/" + wanted)]
    if len(suffix) == 1:
        return suffix[0], files[suffix[0]]
    base = posixpath.basename(wanted)
    same = [name for name in files if posixpath.basename(name) == base]
    if len(same) == 1:
        return same[0], files[same[0]]
    return None


def write(
    process_id: str, bpmn_xml: str, decisions: dict[str, str], forms: dict[str, Any]
) -> bytes:
    """A version as the .zip it can be deployed from again: its diagram, decision tables and
    forms (uploading it unchanged deploys nothing: the same version)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{process_id}.bpmn", bpmn_xml.encode("utf-8"))
        for name, text in sorted(decisions.items()):
            archive.writestr(name, text.encode("utf-8"))
        for name, schema in sorted(forms.items()):
            archive.writestr(name, json.dumps(schema, ensure_ascii=False, indent=2).encode("utf-8"))
    return buffer.getvalue()
