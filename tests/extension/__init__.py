"""Unit tests of Gardener's Extension contract: pure decisions over plain dicts."""
