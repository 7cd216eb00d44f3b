"""The extraction cache is used when sound and rebuilt when damaged."""

from __future__ import annotations

import json

from policyscan.cache import DocumentCache


def _entries(cache_dir):
    return sorted(cache_dir.rglob("*.json"))


def test_second_run_reads_the_cache(suite, tmp_path):
    cache = DocumentCache(tmp_path)
    first = cache.get(suite["root"] / "brief.pdf")
    [entry] = _entries(tmp_path)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["pages"][0]["text"] = data["pages"][0]["text"].replace("maatjesproject", "MAATJESPROJECT")
    entry.write_text(json.dumps(data), encoding="utf-8")
    second = cache.get(suite["root"] / "brief.pdf")
    assert "MAATJESPROJECT" in second.pages[0].text
    assert "MAATJESPROJECT" not in first.pages[0].text


def test_damaged_entry_is_rebuilt(suite, tmp_path):
    cache = DocumentCache(tmp_path)
    first = cache.get(suite["root"] / "brief.pdf")
    [entry] = _entries(tmp_path)
    entry.write_text('{"version": "1", "pages": [{"number": 1, "te', encoding="utf-8")
    assert cache.get(suite["root"] / "brief.pdf") == first
    assert json.loads(entry.read_text(encoding="utf-8"))["pages"][0]["text"] == first.pages[0].text


def test_disabled_cache_writes_nothing(suite, tmp_path):
    DocumentCache(tmp_path, enabled=False).get(suite["root"] / "brief.pdf")
    assert _entries(tmp_path) == []


def test_env_var_sets_location(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICYSCAN_CACHE_DIR", str(tmp_path / "elders"))
    assert DocumentCache().directory == tmp_path / "elders"
