"""The one normalization every brand text check matches on (banned and avoided words, keywords, tone markers, the
brand profile's keyword/avoid clash), so a word hidden by invisible or look-alike characters still matches:

1. Unicode ``Default_Ignorable_Code_Point`` characters are removed (zero-width space and joiners, soft hyphen,
   bidi controls, variation selectors, tags: ``secret\\u200bword`` and ``sec\\u00adret`` read ``secretword``,
   ``secret``);
2. NFKC (full-width ``ｓｅｃｒｅｔ``, ligatures ``ﬁ``, mathematical letters);
3. confusables folded to their Latin look-alike (Unicode's confusables data, through ``confusable-homoglyphs``:
   a Cyrillic ``ѕ`` reads ``s``);
4. casefold.

Only for matching: the stored text is never changed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt), as code point ranges.
IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
             (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
             (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
             (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
_IGNORED = {cp: None for lo, hi in IGNORABLE for cp in range(lo, hi + 1)}


@lru_cache(maxsize=4096)
def _latin(ch: str) -> str:
    """The Latin look-alike of a non-Latin character, else the character."""
    if ch.isascii():
        return ch
    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin", "common"])
    for hit in found or []:
        for glyph in hit["homoglyphs"]:
            if glyph["c"].isascii() and glyph["c"].isalnum():
                return glyph["c"]
    return ch


@lru_cache(maxsize=256)
def match_key(text: str) -> str:
    """``text`` as every text check compares it."""
    text = unicodedata.normalize("NFKC", text.translate(_IGNORED))
    return unicodedata.normalize("NFKC", "".join(_latin(ch) for ch in text).casefold())
