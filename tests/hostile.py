"""Input a hostile or careless user sends, for the fuzz tests (Hypothesis strategies).

Every strategy is bounded, and :func:`fuzz` runs a fixed number of examples in a fixed
order (``derandomize``, no example database), so CI runs the same inputs every time and
the suite stays quick.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Characters and texts that broke something once, or could.
NASTY = [
    "\x00", "\udcff", "\udc80", "\ud800", "\u202e", "\u200b", "\x1b[2J", "\r\n", "\t", "\ufeff", "'", '"', "\\",
    "١", "٢٠٢٧", "²", "\uff12\uff10\uff12\uff17", "9" * 26, "9434765919", "2147483648", "-1", "0", "1e400", "NaN",
    "2027-02-30", "0000-01-01", "9999-12-31", "2027-1-1", "20270101", "31/04/2027", "2027/29",
    "<script>", "../..", "/", "-", "--", "%00", "x" * 300,
]
#: Any character at all, surrogates (what argv carries for bytes that are not UTF-8) included.
ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())


def texts(max_size: int = 12) -> st.SearchStrategy[str]:
    """Short texts mixing nasty fragments and arbitrary characters."""
    piece = st.one_of(st.sampled_from(NASTY), st.text(ANY_CHARACTER, max_size=8))
    return st.lists(piece, max_size=max_size // 4 + 1).map("".join).filter(lambda t: len(t) <= 400)


def unstorable() -> st.SearchStrategy[str]:
    """Text no command may take: empty, blank, over-long, with a NUL or bytes that were not UTF-8."""
    return st.one_of(
        st.sampled_from(["", " ", "\t\n", "x" * 10_000]),
        st.tuples(texts(), st.sampled_from(["\x00", "\udcff", "\ud800"]), texts()).map("".join),
    )


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10 and text.isascii()


def wrong_dates() -> st.SearchStrategy[str]:
    """Text that is not a date the software accepts (impossible, other digits, other forms)."""
    return st.one_of(unstorable(), texts()).filter(lambda t: not _is_date(t) or not 2000 <= int(t[:4]) <= 2099)


def wrong_words(known: set[str]) -> st.SearchStrategy[str]:
    """Text that is none of ``known`` (keys, references, rules)."""
    return st.one_of(unstorable(), texts()).filter(lambda t: t.strip() not in known)


def fuzz(max_examples: int = 60) -> settings:
    return settings(
        max_examples=max_examples, derandomize=True, database=None, deadline=None, print_blob=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
                               HealthCheck.data_too_large],
    )
