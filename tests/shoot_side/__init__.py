"""The shoot side through the real gardener-resource-manager and a second local apiserver as the shoot."""
