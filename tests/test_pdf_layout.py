"""Layout helpers on hostile geometry: equal to the simple definitions, without their cost (issue 11)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policyscan.pdf.layout import _find_gutter, _free_runs
from policyscan.pdf.pdfium import _clusters, _touch
from policyscan.pdf.words import Word


def _naive_runs(words: list[Word], lo: int, hi: int, allowed: int) -> list[tuple[int, int]]:
    cover = [0] * (hi + 2)
    for w in words:
        for x in range(max(lo, int(w.x0)), min(hi, int(w.x1)) + 1):
            cover[x] += 1
    runs, start = [], None
    for x in range(lo, hi + 1):
        if cover[x] <= allowed:
            start = x if start is None else start
        elif start is not None:
            runs.append((start, x - 1))
            start = None
    return runs + ([(start, hi)] if start is not None else [])


_spans = st.lists(st.tuples(st.floats(0, 300), st.floats(0, 60)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_spans, st.integers(0, 3))
def test_free_runs_equal_the_point_by_point_definition(spans, allowed):
    words = [Word("w", x, x + w, 100, 110, 10, False) for x, w in spans]
    assert _free_runs(words, 90, 210, allowed) == _naive_runs(words, 90, 210, allowed)


def test_issue_11_page_a_billion_points_wide_allocates_no_page_wide_list():
    words = [Word("woord", x, x + 30, 200 + 12 * (i % 30), 210 + 12 * (i % 30), 10, False) for i, x in enumerate([50.0, 8e8] * 20)]
    # a list of 10^9 counters would take gigabytes; sorted coverage changes take a few entries
    assert _find_gutter(words, 1e9, 800) is not None


def _naive_clusters(boxes):
    groups = []
    for box in boxes:
        touching = [g for g in groups if any(_touch(box, other) for other in g)]
        groups = [g for g in groups if g not in touching] + [[box] + [b for g in touching for b in g]]
    return groups


_boxes = st.lists(
    st.tuples(st.floats(0, 500), st.floats(0, 700), st.floats(0, 400), st.floats(0, 40)).map(
        lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3])
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(_boxes)
def test_clusters_equal_the_pairwise_definition(boxes):
    def canon(groups):
        return sorted(sorted(g) for g in groups)

    assert canon(_clusters(boxes)) == canon(_naive_clusters(boxes))
