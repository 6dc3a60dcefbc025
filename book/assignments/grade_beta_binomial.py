"""Autograder of the beta-binomial assignment: run ``pytest grade_beta_binomial.py``.

Put your ``BetaBinomialHead`` in ``beta_binomial_head.py`` in this folder (or point the
environment variable ``STUDENT_HEAD`` at ``module:Class``). Each test is one requirement of the
rubric; the points are in ``vae_tutorial.autograders.beta_binomial.REQUIREMENTS``.
"""

import pytest

from vae_tutorial.autograders import beta_binomial as grader


@pytest.fixture(scope="module")
def head_cls():
    return grader.load_student()


@pytest.mark.parametrize("requirement", grader.names())
def test_requirement(requirement, head_cls):
    grader.run(requirement, head_cls)
