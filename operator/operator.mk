# The operator's targets (operator/, docs/operator.md). Included by the top Makefile.

OPERATOR_IMAGE ?= localhost/corepod/operator:dev
SIDECAR_IMAGE ?= localhost/corepod/sidecar:dev
OPERATOR_NAMESPACE ?= corepod-system
KUBECTL_CLUSTER = kubectl --kubeconfig "$$(e2e/cluster/cluster kubeconfig)"

.PHONY: operator-image deploy undeploy operator-run

operator-image: build ## Build the operator image (Debian + node + the app) and load it into the cluster
	operator/image/build-operator-image $(OPERATOR_IMAGE)

deploy: operator-image ## Install the CRD and the operator (2 replicas, leader-elected) into the local cluster
	$(KUBECTL_CLUSTER) apply --server-side --force-conflicts -f crds/corepod.yaml
	$(KUBECTL_CLUSTER) wait --for=condition=Established --timeout=60s crd/corepods.dreamscape.io
	sed -e 's|__IMAGE__|$(OPERATOR_IMAGE)|g' -e 's|__SIDECAR_IMAGE__|$(SIDECAR_IMAGE)|g' -e 's|__NAMESPACE__|$(OPERATOR_NAMESPACE)|g' \
		operator/deploy/operator.yaml | $(KUBECTL_CLUSTER) apply -f -
	$(KUBECTL_CLUSTER) -n $(OPERATOR_NAMESPACE) rollout restart deployment/corepod-operator
	$(KUBECTL_CLUSTER) -n $(OPERATOR_NAMESPACE) rollout status deployment/corepod-operator --timeout=180s

undeploy: ## Remove the operator (and, with CRD=1, the CRD and every CorePod)
	sed -e 's|__IMAGE__|$(OPERATOR_IMAGE)|g' -e 's|__SIDECAR_IMAGE__|$(SIDECAR_IMAGE)|g' -e 's|__NAMESPACE__|$(OPERATOR_NAMESPACE)|g' \
		operator/deploy/operator.yaml | $(KUBECTL_CLUSTER) delete --ignore-not-found -f -
	if [ "$(CRD)" = 1 ]; then $(KUBECTL_CLUSTER) delete --ignore-not-found -f crds/corepod.yaml; fi

operator-run: build ## Run the operator on this machine against the local cluster
	node bin/corepod.js operator --kubeconfig "$$(e2e/cluster/cluster kubeconfig)"
