"""Gardener's Extension contract as pure decisions: operation, predicates, status, error codes, loop guard."""
