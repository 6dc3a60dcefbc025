"""Autograders of the book's assignments (``book/assignments/``): each module grades one task."""
