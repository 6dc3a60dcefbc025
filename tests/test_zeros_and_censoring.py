"""Unit tests of the censored Gaussian, log-normal, hurdle log-normal and zero-inflated count heads: exact values, errors and edge cases (see tests/mutation_equivalent.txt)."""
