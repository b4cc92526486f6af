# The Helm chart (charts/corepod, charts/corepod/README.md) and the Helm binaries that install and
# test it. Included by the top Makefile.

BUILD_HELM := e2e/cluster/build-helm

.PHONY: helm-bin helm3-bin helm-build chart

helm-bin: ## Build Helm 4 from its Go module if needed and print its path (use with make -s)
	@$(BUILD_HELM) v4

helm3-bin: ## Build Helm 3 from its Go module if needed and print its path (use with make -s)
	@$(BUILD_HELM) v3

helm-build: ## Build Helm 4 and Helm 3 (cached by version and inputs)
	@$(BUILD_HELM) v4 >/dev/null
	@$(BUILD_HELM) v3 >/dev/null

chart: build ## Regenerate the chart's CRD template and values table, operator/deploy/operator.yaml and deploy/prometheus/
	node dist/charts/generate-chart.js crd
	node dist/charts/generate-chart.js readme
	node dist/charts/generate-chart.js manifest "$$($(BUILD_HELM) v4)"
	node dist/charts/generate-chart.js rules "$$($(BUILD_HELM) v4)"

# promtool, for `promtool test rules` on the alert rules (charts/alert-rules.process.test.ts), and
# the prometheus server the end-to-end suite scrapes with.
APT_PACKAGES += prometheus
