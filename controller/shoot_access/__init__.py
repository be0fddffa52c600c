"""Reading the shoot the way Gardener lets extensions: the generic token kubeconfig of the seed namespace
combined with a shoot-access Secret whose token gardener-resource-manager's token requestor keeps fresh."""
