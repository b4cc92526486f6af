# The operator's targets (operator/, docs/operator.md). Included by the top Makefile.

OPERATOR_IMAGE ?= localhost/corepod/operator:dev
SIDECAR_IMAGE ?= localhost/corepod/sidecar:dev
OPERATOR_NAMESPACE ?= corepod-system
RELEASE ?= corepod
KUBECTL_CLUSTER = kubectl --kubeconfig "$$(e2e/cluster/cluster kubeconfig)"

.PHONY: operator-image deploy undeploy operator-run

operator-image: build ## Build the operator image (Debian + node + the app) and load it into the cluster
	operator/image/build-operator-image $(OPERATOR_IMAGE)

deploy: operator-image ## Install or upgrade the chart (charts/corepod): release corepod in corepod-system, with the CRD
	@helm=$$(e2e/cluster/build-helm v4); kubeconfig=$$(e2e/cluster/cluster kubeconfig); \
	$(KUBECTL_CLUSTER) get namespace $(OPERATOR_NAMESPACE) >/dev/null 2>&1 || $(KUBECTL_CLUSTER) create namespace $(OPERATOR_NAMESPACE); \
	$(KUBECTL_CLUSTER) label namespace $(OPERATOR_NAMESPACE) pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null; \
	upgrade=; "$$helm" --kubeconfig "$$kubeconfig" status $(RELEASE) -n $(OPERATOR_NAMESPACE) >/dev/null 2>&1 && upgrade=1; \
	set -x; "$$helm" --kubeconfig "$$kubeconfig" upgrade --install $(RELEASE) charts/corepod -n $(OPERATOR_NAMESPACE) \
		--take-ownership --force-conflicts --wait --timeout 180s \
		--set-string image.repository=$(word 1,$(subst :, ,$(OPERATOR_IMAGE))),image.tag=$(word 2,$(subst :, ,$(OPERATOR_IMAGE))) \
		--set-string sidecarInit.image.repository=$(word 1,$(subst :, ,$(SIDECAR_IMAGE))),sidecarInit.image.tag=$(word 2,$(subst :, ,$(SIDECAR_IMAGE))); \
	{ set +x; } 2>/dev/null; \
	if [ -n "$$upgrade" ]; then \
		$(KUBECTL_CLUSTER) -n $(OPERATOR_NAMESPACE) rollout restart deployment/$(RELEASE)-operator && \
		$(KUBECTL_CLUSTER) -n $(OPERATOR_NAMESPACE) rollout status deployment/$(RELEASE)-operator --timeout=180s; \
	fi

undeploy: ## Remove the operator (the CRD and CorePods stay; with CRD=1 they go too)
	@e2e/cluster/build-helm v4 >/dev/null
	"$$(e2e/cluster/build-helm v4)" --kubeconfig "$$(e2e/cluster/cluster kubeconfig)" uninstall $(RELEASE) -n $(OPERATOR_NAMESPACE) --ignore-not-found --wait
	@# What a plain-manifest install (operator/deploy/operator.yaml) left.
	$(KUBECTL_CLUSTER) delete --ignore-not-found -f operator/deploy/operator.yaml
	if [ "$(CRD)" = 1 ]; then $(KUBECTL_CLUSTER) delete --ignore-not-found -f crds/corepod.yaml; fi

operator-run: build ## Run the operator on this machine against the local cluster
	node bin/corepod.js operator --kubeconfig "$$(e2e/cluster/cluster kubeconfig)"
