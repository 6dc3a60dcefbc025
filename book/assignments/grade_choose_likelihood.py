"""Autograder of the likelihood-choice assignment: run ``pytest grade_choose_likelihood.py``.

Save your report as ``choose_likelihood.json`` in this folder (or point the environment variable
``STUDENT_REPORT`` at it). Each test is one requirement of the rubric; the points are in
``vae_tutorial.autograders.choose_likelihood.REQUIREMENTS``. The "reproduces" test retrains your
chosen likelihood once (about half a minute).
"""

import pytest

from vae_tutorial.autograders import choose_likelihood as grader


@pytest.fixture(scope="module")
def report():
    return grader.load_report()


@pytest.mark.parametrize("requirement", grader.names())
def test_requirement(requirement, report):
    grader.run(requirement, report)
