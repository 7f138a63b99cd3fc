"""Every fault against every REST dataset: transient ones leave the clean run's data, permanent ones
leave the dataset marked failed, and nothing is ever lost, duplicated or half-written.

The table (faults tried, survived, rows lost, duplicates) is printed at the end of the module and
written as JSON next to the rounds' data (the path is printed with it).
"""
from __future__ import annotations

import pytest

from tests.faults._harness import BY_NAME, MATRIX_TABLE, PAIRS, known_gaps, summarise, table, verdicts, write_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(matrix, tmp_path_factory):
    collected: dict = {}
    yield collected
    summary = summarise(collected, matrix)
    path = write_report(summary, matrix.workdir / "fault_matrix.json")
    # printed in the terminal summary (tests/faults/conftest.py), from a file: under xdist the summary is the
    # controller's, and this runs on a worker
    (tmp_path_factory.getbasetemp() / MATRIX_TABLE).write_text(table(summary) + f"\nreport: {path}\n")


def test_every_rest_dataset_is_covered(matrix):
    assert matrix.covered, f"no dataset could be fetched from the sandbox: {matrix.not_covered}"
    assert len(matrix.groups()[0]) >= 1 and len(matrix.groups()[1]) >= 1, "need two groups of sources"


def test_pairs_cover_every_case():
    named = [n for pair in PAIRS for n in pair]
    assert sorted(named) == sorted(BY_NAME), "every case runs exactly once"
    for pair in PAIRS:
        assert {BY_NAME[n].expect == "failed" for n in pair} != {True}, f"{pair}: two permanent faults in one round"


@pytest.mark.parametrize("pair", PAIRS, ids=[" + ".join(p) for p in PAIRS])
def test_fault(matrix, results, pair):
    by_case = matrix.run_pair(BY_NAME[pair[0]], BY_NAME[pair[1]])
    results.update(by_case)
    outcomes = [o for outs in by_case.values() for o in outs]
    assert any(o.role == "faulted" for o in outcomes), "no dataset was faulted"
    bad = verdicts(outcomes, known_gaps())
    assert not bad, "\n".join(bad)
