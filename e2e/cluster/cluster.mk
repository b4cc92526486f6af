# The local Kubernetes cluster (e2e/cluster/README.md). Included by the top Makefile.

APT_PACKAGES += etcd-server containerd runc containernetworking-plugins iptables conntrack socat \
	curl jq openssl util-linux umoci skopeo debootstrap busybox-static docker.io

CLUSTER := e2e/cluster/cluster

.PHONY: cluster-build cluster-up cluster-down cluster-purge cluster-status cluster-kubeconfig docker-up docker-down

cluster-build: ## Build kube binaries and pause from Go modules (cached outside the repo; helm: make helm-build)
	@scripts/apt-install $(APT_PACKAGES)
	@e2e/cluster/build-k8s

cluster-up: ## Start the local cluster and wait for node Ready (idempotent)
	@scripts/apt-install $(APT_PACKAGES)
	@$(CLUSTER) up

cluster-down: ## Stop the local cluster and remove its netns, mounts, cgroups
	@$(CLUSTER) down

cluster-purge: ## cluster-down, then also delete its PKI, logs and kubeconfig
	@$(CLUSTER) down --purge

cluster-status: ## Show each cluster component (exit 1 if any is down)
	@$(CLUSTER) status

cluster-kubeconfig: ## Print the path of the host kubeconfig (use with make -s)
	@$(CLUSTER) kubeconfig

docker-up: ## Start dockerd (for testcontainers) in the cluster network namespace
	@scripts/apt-install $(APT_PACKAGES)
	@$(CLUSTER) docker-up

docker-down: ## Stop that dockerd and remove its containers
	@$(CLUSTER) docker-down
