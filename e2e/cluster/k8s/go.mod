// The module root of cmd/k8s and cmd/pause. Its requirements live in one go.mod per supported
// Kubernetes minor version (1.37/go.mod, 1.35/go.mod), which build-k8s selects with -modfile.
module corepod.local/e2e/cluster/k8s

go 1.26.0
