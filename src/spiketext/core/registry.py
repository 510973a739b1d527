"""Registries: the kinds of component whose names settings and checkpoints hold as plain strings (surrogates, input
codes and domains, activations, readouts, losses, normalizations, model kinds, transformer encoders; attacks,
victims, similarities and model families register in their own layers). A component registers itself where it is
defined, so adding one is one file plus its test:

    @SURROGATES.register("fast_sigmoid")
    def fast_sigmoid(x, slope): ...

A setting's string is checked against its registry when the run is built (`runs.ledger.check_components`) or a
checkpoint is read, with one line naming the setting, the closest name and every choice. No torch import here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from spiketext.errors import SpiketextError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named components of one kind: `register(name)` (a decorator) or `add(name, item)`, then `get(name, setting)`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(item: T) -> T:
            return self.add(name, item)

        return add

    def add(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def remove(self, name: str) -> None:
        """Take a component out again (a test that registered one for itself)."""
        self._items.pop(name, None)

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)

    def values(self) -> tuple[T, ...]:
        return tuple(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def check(self, name: object, setting: str) -> str:
        """`name` itself, or an error naming `setting`, the closest registered name and every choice."""
        if isinstance(name, str) and name in self._items:
            return name
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpiketextError(
            f"setting {setting}: {name!r} is not a known {self.kind}; {hint}choose one of {', '.join(self.names())}"
        )

    def get(self, name: object, setting: str) -> T:
        return self._items[self.check(name, setting)]
