"""Camunda's JUEL expressions (``${…}``, ``#{…}``): recognised, refused, and where the Python
equivalent is obvious, suggested (``#{!approved}`` -> ``not approved``)."""

from __future__ import annotations

import ast
import re

_WRAPPED = re.compile(r"^\s*[#$]\{(.*)\}\s*$", re.S)
_WORDS = {
    "&&": " and ", "||": " or ", " eq ": " == ", " ne ": " != ", " lt ": " < ",
    " gt ": " > ", " le ": " <= ", " ge ": " >= ", " and ": " and ", " or ": " or ",
}  # fmt: skip
_LITERALS = {"true": "True", "false": "False", "null": "None"}


def is_juel(expression: str) -> bool:
    return bool(_WRAPPED.match(expression or "")) or "${" in (expression or "")


def python_equivalent(expression: str) -> str | None:
    """The Python expression meaning the same, when the JUEL is plain data and operators
    (no method calls, no ``execution``, no beans); None when there is no obvious one."""
    found = _WRAPPED.match(expression or "")
    if not found:
        return None
    text = found[1].strip()
    if not text or "(" in text or "execution" in text or "#{" in text or "${" in text:
        return None
    for juel, python in _WORDS.items():
        text = text.replace(juel, python)
    text = re.sub(r"\bnot\s+empty\s+", "", text)
    text = re.sub(r"\bempty\s+(\w+)", r"not \1", text)
    text = re.sub(r"!(?!=)\s*", "not ", text)
    text = re.sub(r"\b(true|false|null)\b", lambda m: _LITERALS[m[1]], text)
    text = " ".join(text.split())
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    return text


def refusal(expression: str, where: str) -> str:
    """The Chinese refusal of a JUEL expression found in ``where`` (条件表达式, …)."""
    suggestion = python_equivalent(expression)
    text = (
        f"{where}“{expression.strip()}”是 Camunda 的 JUEL 表达式，本产品按 Python 计算，"
        "运行时会出错"
    )
    if suggestion:
        return f"{text}：请改写为 {suggestion}"
    return f"{text}：请改写为读取流程数据的 Python 表达式（不能调用 Java 对象或 execution）"
