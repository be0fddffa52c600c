"""Health the way Gardener reads it: the shoot-side objects (from the resource manager's conditions) and
Trident's backend, folded into the Extension's `SystemComponentsHealthy` condition (pure decisions)."""
