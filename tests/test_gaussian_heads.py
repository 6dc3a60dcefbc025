"""Unit tests of the Gaussian families (fixed, shared, diagonal, low rank, full, grid): exact values, errors and edge cases (see tests/mutation_equivalent.txt)."""
