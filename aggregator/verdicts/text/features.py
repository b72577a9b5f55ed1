"""The text features of the trained verdict model (aggregator.verdicts.text.linear): word n-grams with
negation marking (`analyse_words`) and TF-IDF blocks over a fixed, stored vocabulary
(`FeatureBlock`, `fit_blocks`). The module docstring of aggregator.verdicts.text.linear says how text
is read; docs/verdicts.md what each option gave.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from aggregator.verdicts import CONTRASTS
from aggregator.verdicts.text.lexicon import (
    NEGATION_SCOPE,
    SCOPE_END,
    WIDE_NEGATORS,
    normalise_text,
    tokens,
)


def analyse_words(
    text: str, ngram: tuple[int, int] = (1, 2), negation: bool = True, token_list: list[str] | None = None
) -> list[str]:
    """Word n-gram features of a text (see the module docstring); `token_list` is its
    `tokens(text)` when the caller has them already."""
    features: list[str] = []
    words: list[str] = []
    scope = 0
    for token in tokens(text) if token_list is None else token_list:
        if token in SCOPE_END:
            scope = 0
            if token in "!?":  # "!" and "?" carry tone; commas and full stops do not
                words.append(token)
            continue
        if token in CONTRASTS:
            scope = 0
        if scope and negation:
            features.append("neg_" + token)
            scope -= 1
        if token in WIDE_NEGATORS:
            scope = NEGATION_SCOPE
        words.append(token)
    low, high = ngram
    for size in range(low, high + 1):
        # the same n-grams as " ".join over every window; unigrams and bigrams (the shipped
        # model's) built directly, as they are most of a batch's reading time
        if size == 1:
            features.extend(words)
        elif size == 2:
            features.extend([first + " " + second for first, second in zip(words, words[1:])])
        else:
            features.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return features


class FeatureBlock:
    """One TF-IDF block (word or char n-grams) over a fixed vocabulary."""

    def __init__(self, kind: str, settings: dict[str, Any], vocabulary: list[str], idf: np.ndarray):
        from sklearn.feature_extraction.text import CountVectorizer

        self.kind, self.settings = kind, dict(settings)
        self.vocabulary, self.idf = list(vocabulary), np.asarray(idf, dtype=np.float64)
        self._index = {term: index for index, term in enumerate(self.vocabulary)}
        if len(self._index) != len(self.vocabulary):
            raise ValueError(f"the {kind} block's vocabulary repeats a term")
        self._counter = CountVectorizer(vocabulary=self._index, **_vectoriser_arguments(kind, settings))

    def transform(self, texts: Sequence[str], token_lists: Sequence[list[str]] | None = None):
        """TF-IDF rows of `texts` (L2-normalised); word blocks reuse `token_lists` if given."""
        from sklearn.preprocessing import normalize

        if self.kind == "word":
            counts = self._count_words(texts, token_lists)
        else:
            counts = self._counter.transform(texts).astype(np.float64)
        if self.settings.get("sublinear", True):
            counts.data = 1.0 + np.log(counts.data)
        return normalize(counts.multiply(self.idf).tocsr())

    def _count_words(self, texts: Sequence[str], token_lists: Sequence[list[str]] | None):
        # what CountVectorizer(vocabulary=…).transform does, without analysing each text twice
        from scipy.sparse import csr_matrix

        ngram = tuple(self.settings["ngram"])
        negation = bool(self.settings.get("negation", True))
        lookup = self._index.get
        indices: list[int] = []
        indptr = [0]
        for number, text in enumerate(texts):
            found = map(lookup, analyse_words(text, ngram, negation, None if token_lists is None else token_lists[number]))
            indices += [index for index in found if index is not None]
            indptr.append(len(indices))
        counts = csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr)),
                            shape=(len(texts), len(self.vocabulary)))  # fmt: skip
        counts.sum_duplicates()
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "settings": self.settings, "vocabulary": self.vocabulary,
                "idf": [round(float(x), 6) for x in self.idf]}  # fmt: skip


def _vectoriser_arguments(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    ngram = tuple(settings["ngram"])
    if kind == "word":
        analyser = functools.partial(analyse_words, ngram=ngram, negation=bool(settings.get("negation", True)))
        return {"analyzer": analyser}
    if kind == "char":
        return {"analyzer": "char_wb", "ngram_range": ngram, "preprocessor": normalise_text, "lowercase": False}
    raise ValueError(f"unknown feature block {kind!r}")


def fit_blocks(texts: Sequence[str], spec: dict[str, Any]) -> list[FeatureBlock]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    blocks = []
    for kind in ("word", "char"):
        settings = spec.get(kind)
        if not settings:
            continue
        vectoriser = TfidfVectorizer(min_df=settings.get("min_df", 1), sublinear_tf=settings.get("sublinear", True),
                                     **_vectoriser_arguments(kind, settings))  # fmt: skip
        vectoriser.fit(texts)
        vocabulary = sorted(vectoriser.vocabulary_, key=vectoriser.vocabulary_.__getitem__)
        blocks.append(FeatureBlock(kind, settings, vocabulary, vectoriser.idf_))
    return blocks
