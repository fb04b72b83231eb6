"""Say: how a step of the gate tells the user what it is doing (print, or a test's list.append)."""

from collections.abc import Callable

Say = Callable[[str], object]
