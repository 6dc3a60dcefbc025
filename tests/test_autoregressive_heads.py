"""Unit tests of the autoregressive heads (shared machinery, MADE, PixelCNN-style): exact values, errors and edge cases (see tests/mutation_equivalent.txt)."""
