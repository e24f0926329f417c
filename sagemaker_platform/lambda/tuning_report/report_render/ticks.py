"""Axis ticks: the span of an axis, tick positions at 1-2-5 steps (or decades on a log axis), short labels."""

from __future__ import annotations

import math


def axis_ticks(low: float, high: float, *, log: bool, count: int = 5) -> tuple[float, float, list[tuple[float, str]]]:
    """The axis span and its ticks (position, label); `log`: positions are log10 values, ticks at decades."""
    if log:
        first, last = math.floor(low), math.ceil(high)
        if first == last:
            first, last = first - 1, last + 1
        every = max(1, math.ceil((last - first) / 8))
        return float(first), float(last), [(float(e), format_number(10.0**e)) for e in range(first, last + 1, every)]
    if high == low:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    step = nice_step((high - low) / (count - 1))
    start, stop = math.floor(low / step) * step, math.ceil(high / step) * step
    base = round(start / step)
    ticks = [((base + i) * step, format_number((base + i) * step)) for i in range(round((stop - start) / step) + 1)]
    return start, stop, ticks


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or above `raw`."""
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power * (1 + 1e-9):
            return factor * power
    return 10 * power


_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_number(value: float) -> str:
    """A short tick label: 0.25, 1.5k, 2M, 1e-05."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e4:
        for scale, suffix in _SI:
            if magnitude >= scale:
                return f"{value / scale:.3g}{suffix}"
    if magnitude < 1e-3:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.4g}"
