"""The API groups and versions of the Gardener resources the controller reads and writes (one home)."""

# Extension and Cluster (gardener/gardener pkg/apis/extensions/v1alpha1).
EXTENSIONS_GROUP = "extensions.gardener.cloud"
EXTENSIONS_VERSION = "v1alpha1"
# ManagedResource (gardener/gardener pkg/apis/resources/v1alpha1).
RESOURCES_GROUP = "resources.gardener.cloud"
RESOURCES_VERSION = "v1alpha1"
