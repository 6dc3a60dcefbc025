"""Unit tests of base, joint, registry and masking: exact values, errors and edge cases (see tests/mutation_equivalent.txt)."""
