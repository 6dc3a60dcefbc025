"""Unit tests of the heterogeneous (mixed-type) head and the ordinal heads: exact values, errors and edge cases (see tests/mutation_equivalent.txt)."""
