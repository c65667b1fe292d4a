"""Random ids: the right shape, every base62 character, no position biased."""

from __future__ import annotations

import re
from collections import Counter

from kassa.ids import ALPHABET, new_id, random_base62


def test_id_shapes() -> None:
    assert re.fullmatch(r"[0-9A-Za-z]{8}", new_id())
    assert re.fullmatch(r"msg_[0-9A-Za-z]{22}", new_id("msg"))
    assert len(random_base62(40)) == 40 and random_base62(0) == ""


def test_characters_are_uniform_in_every_position() -> None:
    ids = [random_base62(22) for _ in range(6200)]
    assert len(set(ids)) == len(ids)
    for position in (0, 11, 21):  # first, middle and last digits alike
        counts = Counter(i[position] for i in ids)
        assert set(counts) == set(ALPHABET)
        # 100 expected per character; a chi-square far above 62 degrees of freedom means bias.
        chi2 = sum((counts[c] - 100) ** 2 / 100 for c in ALPHABET)
        assert chi2 < 130, (position, chi2)
