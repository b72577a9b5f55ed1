"""The date benchmark at a tiny size: it runs, and the reader reads every string of its corpus
as the dateparser-backed reference does (no timing asserted)."""

from __future__ import annotations

from benchmarks import dates as bench


def test_the_corpus_is_reproducible_and_mixed():
    cases = bench.build_corpus(600, seed=3)
    assert cases == bench.build_corpus(600, seed=3)
    assert cases != bench.build_corpus(600, seed=4)
    read = bench.read_all(cases)
    assert 0.5 < sum(day is not None for day in read) / len(cases) < 0.99
    assert any(languages not in (None, ("en",)) for _, languages in bench.build_corpus(600, 3, other_languages=0.2))


def test_a_tiny_run_reads_nothing_otherwise_than_the_reference(capsys):
    assert bench.main(["--size", "400", "--rounds", "1", "--other-languages", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "reader     strings/s:" in out and "reference  strings/s:" in out
    assert "strings read otherwise than the reference: 0" in out


def test_differences_are_found_when_the_reader_changes(monkeypatch):
    cases = [("14 juin 2025", ("fr",)), ("2025-06-14", ("en",))]
    assert bench.differences(cases) == []
    monkeypatch.setattr(bench.dates, "_could_be_date", lambda text, languages: False)
    assert [case for case, _, _ in bench.differences(cases)] == [("14 juin 2025", ("fr",))]
