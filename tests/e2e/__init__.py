"""End-to-end tests: the reconciler against a real kube-apiserver and the fake ONTAP."""
