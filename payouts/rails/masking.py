"""Showing an account without giving it away."""
from __future__ import annotations


def mask_middle(text: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """``"13800138000"`` → ``"138****8000"``; at least four characters (and a third) stay hidden."""
    while keep_start + keep_end > 0 and len(text) - keep_start - keep_end < max(4, len(text) // 3):
        if keep_end >= keep_start:
            keep_end -= 1
        else:
            keep_start -= 1
    return text[:keep_start] + "****" + (text[-keep_end:] if keep_end else "")


def mask_name(name: str) -> str:
    """``"张小明"`` → ``"*小明"``: the family name (or first letter) hidden."""
    return "*" + name[1:] if len(name) > 1 else "*"
