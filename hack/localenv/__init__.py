"""The local environments `make run`, `make bench` and the tests share: a real kube-apiserver with
etcd on loopback, and the Gardener objects (Cluster, Extension) they create."""
