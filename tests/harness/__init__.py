"""Local test bed: a real kube-apiserver and etcd on loopback, for integration tests and the demo."""
