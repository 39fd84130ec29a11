"""What a kind of official document (公文) is: its title, the fields it needs, its wording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .blocks import Block
from .fields import Values

MECHANISM = "洪泽区《十项机制》"


@dataclass(frozen=True)
class KindSpec:
    title: str
    required: tuple[str, ...]
    build: Callable[[Values], list[Block]]
    # the title when it depends on the case (a reconsideration instead of a judgment)
    title_for: Callable[[Values], str] | None = None

    def title_of(self, values: Values) -> str:
        return self.title_for(values) if self.title_for is not None else self.title
