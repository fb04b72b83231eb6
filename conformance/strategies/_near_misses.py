"""Near misses of known identifiers (event names, property keys): strings a lenient server might
normalise back to the real thing, so a faithful one must reject them.

Each `words`-taking strategy draws a word and returns a string that differs from every word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypothesis import strategies as st

# Latin letter → Cyrillic/Greek homoglyph; every ASCII letter also has a fullwidth form (NFKC folds it back).
HOMOGLYPHS = {"a": "а", "c": "с", "d": "ԁ", "e": "е", "i": "і", "o": "о", "p": "р", "x": "х", "y": "у"}
PADDING = (" ", "\t", "\n", "\r\n", "\xa0", "\u3000")
# Invisible characters that copy-paste really produces: zero-width space/joiners, direction marks,
# word joiner, BOM, soft hyphen and bidi embeddings.
INVISIBLES = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\xad\u202a\u202e"
# Word swaps a human makes: plurals, tenses, the classic 'recieved' typo.
WORD_SWAPS = {
    "fax": ("faxes", "faxs"),
    "sent": ("send", "sending"),
    "received": ("receive", "recieved", "receieved"),
    "page": ("pages",),
}


def invisible_char() -> st.SearchStrategy[str]:
    """One format (Unicode `Cf`) character, the common copy-paste ones most often: '\\u200b'."""
    return st.one_of(st.sampled_from(INVISIBLES), st.characters(categories=["Cf"]))


def identifiers() -> st.SearchStrategy[str]:
    """Plausible snake_case names such as 'fax_deleted' or 'callback'."""
    return st.from_regex(r"[a-z]{1,10}(_[a-z]{1,10}){0,2}", fullmatch=True)


def _fullwidth(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


@st.composite
def case_variants(draw: st.DrawFn, words: Sequence[str]) -> str:
    """'Fax_Sent', 'FAX_SENT': at least one letter of a word with its case flipped.

    >>> case_variants(["fax_sent"]).example()  # doctest: +SKIP
    'fAx_SENT'
    """
    word = list(draw(st.sampled_from(words)))
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    for at in draw(st.sets(st.sampled_from(letters), min_size=1)):
        word[at] = word[at].swapcase()
    return "".join(word)


@st.composite
def padded(draw: st.DrawFn, words: Sequence[str]) -> str:
    """' fax_sent', 'fax_sent\\n': whitespace before and/or after a word.

    >>> padded(["fax_sent"]).example()  # doctest: +SKIP
    'fax_sent\\r\\n'
    """
    word = draw(st.sampled_from(words))
    pad = st.sampled_from(PADDING)
    before, after = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    return (draw(pad) if before else "") + word + (draw(pad) if after else "")


@st.composite
def homoglyphs(draw: st.DrawFn, words: Sequence[str]) -> str:
    """'fаx_sent' (Cyrillic а), 'ｆａｘ_sent': some characters swapped for look-alikes.

    >>> homoglyphs(["fax_sent"]).example()  # doctest: +SKIP
    'fах_sent'
    """
    word = list(draw(st.sampled_from(words)))
    for at in draw(st.sets(st.integers(0, len(word) - 1), min_size=1)):
        options = [_fullwidth(word[at]), *([HOMOGLYPHS[word[at]]] if word[at] in HOMOGLYPHS else [])]
        word[at] = draw(st.sampled_from(options))
    return "".join(word)


def _camel(word: str, first_upper: bool) -> str:
    parts = word.split("_")
    head = parts[0].capitalize() if first_upper else parts[0]
    return head + "".join(p.capitalize() for p in parts[1:])


def naming_conventions(words: Sequence[str]) -> st.SearchStrategy[str]:
    """'fax-sent', 'faxSent', 'FaxSent', 'fax.sent', 'fax sent', 'faxsent': snake_case re-spelled.

    >>> naming_conventions(["fax_sent"]).example()  # doctest: +SKIP
    'faxSent'
    """
    spellings = [
        *(lambda w, s=sep: w.replace("_", s) for sep in ("-", ".", " ", "", "__", ":")),
        lambda w: _camel(w, first_upper=False),
        lambda w: _camel(w, first_upper=True),
    ]
    snake = [w for w in words if "_" in w]
    return st.builds(lambda w, spell: spell(w), st.sampled_from(snake), st.sampled_from(spellings))


@st.composite
def word_swaps(draw: st.DrawFn, words: Sequence[str]) -> str:
    """'faxes_sent', 'fax_send', 'fax_recieved': one part of a word inflected or misspelt.

    >>> word_swaps(["fax_sent"]).example()  # doctest: +SKIP
    'fax_sending'
    """
    word = draw(st.sampled_from(words))
    parts = re.split(r"(_)", word)
    swappable = [i for i, p in enumerate(parts) if p in WORD_SWAPS]
    at = draw(st.sampled_from(swappable))
    parts[at] = draw(st.sampled_from(WORD_SWAPS[parts[at]]))
    return "".join(parts)


def plural_toggles(words: Sequence[str]) -> st.SearchStrategy[str]:
    """'events', 'number': a trailing `s` added or dropped."""
    return st.sampled_from(words).map(lambda w: w[:-1] if w.endswith("s") else w + "s")


@st.composite
def with_invisible(draw: st.DrawFn, words: Sequence[str]) -> str:
    """'fax_sent\\u200b', '\\ufefffax_sent': a zero-width/format character anywhere in a word.

    >>> with_invisible(["fax_sent"]).example()  # doctest: +SKIP
    'fax\\u200b_sent'
    """
    word = draw(st.sampled_from(words))
    at = draw(st.integers(0, len(word)))
    return word[:at] + draw(invisible_char()) + word[at:]
