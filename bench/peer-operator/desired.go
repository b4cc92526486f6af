// The objects a CorePod owns, built the way operator/desired/*.ts builds them: the same kinds,
// names, labels, owner references and fields, as unstructured maps for server-side apply.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

type obj = map[string]any

const (
	group               = "dreamscape.io"
	plural              = "corepods"
	configHashAnnot     = "dreamscape.io/config-hash"
	defaultContainerKey = "kubectl.kubernetes.io/default-container"
	managedBy           = "corepod-operator"
	configFileKey       = "corepod.json"
	runtimeMountPath    = "/corepod"
	configMountPath     = "/etc/corepod"
	tokenMountPath      = "/var/run/secrets/kubernetes.io/serviceaccount"
	healthPortName      = "corepod-health"
	appContainer        = "app"
)

// podPassThrough is crds/core-v1.ts POD_PASS_THROUGH_FIELDS.
var podPassThrough = []string{"imagePullSecrets", "nodeSelector", "tolerations", "affinity", "topologySpreadConstraints", "priorityClassName", "runtimeClassName", "hostAliases", "dnsPolicy", "dnsConfig"}

// sidecar is contract/sidecar-contract.ts SidecarContract with image-volume delivery.
type sidecar struct {
	image       string
	runtimePath string
	entrypoint  []string
	pullPolicy  string
}

type corePod struct {
	name, namespace, uid, apiVersion, kind string
	generation                             int64
	spec                                   obj
	status                                 obj
}

type plannedPort struct {
	name     string
	port     int64
	protocol string
}

type problem struct{ reason, path, message string }

func m(v any) obj {
	o, _ := v.(obj)
	return o
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}

func selectorLabels(name string) obj {
	return obj{"app.kubernetes.io/name": "corepod", "app.kubernetes.io/instance": name}
}

func objectLabels(name, component string) obj {
	l := selectorLabels(name)
	l["app.kubernetes.io/component"] = component
	l["app.kubernetes.io/managed-by"] = managedBy
	l["app.kubernetes.io/part-of"] = "corepod"
	return l
}

func selectorString(name string) string {
	return "app.kubernetes.io/name=corepod,app.kubernetes.io/instance=" + name
}

func ownerRef(c *corePod) obj {
	return obj{"apiVersion": c.apiVersion, "kind": c.kind, "name": c.name, "uid": c.uid, "controller": true, "blockOwnerDeletion": true}
}

func meta(c *corePod, name, component string) obj {
	return obj{"name": name, "namespace": c.namespace, "labels": objectLabels(c.name, component), "ownerReferences": []any{ownerRef(c)}}
}

// supervisorConfig is config-map.ts supervisorConfig: the spec without what only other objects use.
func supervisorConfig(c *corePod) string {
	spec := obj{}
	for k, v := range c.spec {
		switch k {
		case "replicas", "service", "serviceAccount", "podDisruptionBudget":
		default:
			spec[k] = v
		}
	}
	// With the generation it was made from, which the sidecar-init reports it runs.
	metadata := obj{"name": c.name, "namespace": c.namespace}
	if c.generation != 0 {
		metadata["generation"] = c.generation
	}
	doc := obj{"apiVersion": c.apiVersion, "kind": c.kind, "metadata": metadata, "spec": spec}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
	return b.String()
}

func configHash(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:])[:16]
}

// planPorts is port-plan.ts planPorts.
func planPorts(spec obj) ([]plannedPort, []problem) {
	var ports []plannedPort
	var problems []problem
	health, _ := num(spec["healthPort"])
	byPort := map[string]string{fmt.Sprintf("%d/TCP", health): "the sidecar-init health endpoint (spec.healthPort)"}
	byName := map[string]string{}
	for i, p := range list(spec["programs"]) {
		program := m(p)
		pname := str(program["name"])
		for j, d := range list(program["ports"]) {
			declared := m(d)
			at := fmt.Sprintf("spec.programs[%d].ports[%d]", i, j)
			port, _ := num(declared["containerPort"])
			protocol := str(declared["protocol"])
			if protocol == "" {
				protocol = "TCP"
			}
			key := fmt.Sprintf("%d/%s", port, protocol)
			if holder, ok := byPort[key]; ok {
				problems = append(problems, problem{"PortConflict", at + ".containerPort", fmt.Sprintf("port %s of program %q is also used by %s", key, pname, holder)})
				continue
			}
			byPort[key] = fmt.Sprintf("program %q", pname)
			name := str(declared["name"])
			if name == "" {
				name = fmt.Sprintf("%s-%d", strings.ToLower(protocol), port)
			}
			if holder, ok := byName[name]; ok {
				problems = append(problems, problem{"PortConflict", at + ".name", fmt.Sprintf("port name %q of program %q is also used by %s", name, pname, holder)})
				continue
			}
			byName[name] = fmt.Sprintf("program %q", pname)
			ports = append(ports, plannedPort{name, port, protocol})
		}
	}
	return ports, problems
}

// unusedVolumes is port-plan.ts unusedVolumes.
func unusedVolumes(spec obj) []problem {
	mounted := map[string]bool{}
	for _, p := range list(spec["programs"]) {
		for _, mount := range list(m(p)["volumeMounts"]) {
			mounted[str(m(mount)["name"])] = true
		}
	}
	var out []problem
	for j, v := range list(spec["volumes"]) {
		name := str(m(v)["name"])
		if !mounted[name] {
			out = append(out, problem{"VolumeNotMounted", fmt.Sprintf("spec.volumes[%d]", j), fmt.Sprintf("volume %q is not mounted by any program", name)})
		}
	}
	return out
}

func buildConfigMap(c *corePod, config string) obj {
	return obj{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(c, c.name+"-corepod-config", "config"), "data": obj{configFileKey: config}}
}

func buildServiceAccount(c *corePod) obj {
	md := meta(c, c.name+"-corepod", "rbac")
	if a := m(m(c.spec["serviceAccount"])["annotations"]); a != nil {
		md["annotations"] = a
	}
	return obj{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": md, "automountServiceAccountToken": false}
}

func buildRole(c *corePod) obj {
	own := []any{c.name}
	return obj{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "Role",
		"metadata":   meta(c, c.name+"-corepod", "rbac"),
		"rules": []any{
			obj{"apiGroups": []any{group}, "resources": []any{plural + "/status"}, "resourceNames": own, "verbs": []any{"get", "patch"}},
			obj{"apiGroups": []any{group}, "resources": []any{plural}, "resourceNames": own, "verbs": []any{"get", "list", "watch"}},
			obj{"apiGroups": []any{"events.k8s.io"}, "resources": []any{"events"}, "verbs": []any{"create", "patch"}},
			obj{"apiGroups": []any{""}, "resources": []any{"events"}, "verbs": []any{"create", "patch"}},
		},
	}
}

func buildRoleBinding(c *corePod) obj {
	return obj{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "RoleBinding",
		"metadata":   meta(c, c.name+"-corepod", "rbac"),
		"roleRef":    obj{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": c.name + "-corepod"},
		"subjects":   []any{obj{"kind": "ServiceAccount", "name": c.name + "-corepod", "namespace": c.namespace}},
	}
}

func buildService(c *corePod, ports []plannedPort) obj {
	settings := m(c.spec["service"])
	if len(ports) == 0 || settings["enabled"] == false {
		return nil
	}
	md := meta(c, c.name, "network")
	if a := m(settings["annotations"]); a != nil {
		md["annotations"] = a
	}
	typ := str(settings["type"])
	if typ == "" {
		typ = "ClusterIP"
	}
	spec := obj{"type": typ, "selector": selectorLabels(c.name)}
	for _, k := range []string{"externalTrafficPolicy", "loadBalancerClass"} {
		if v := str(settings[k]); v != "" {
			spec[k] = v
		}
	}
	var out []any
	for _, p := range ports {
		out = append(out, obj{"name": p.name, "port": p.port, "targetPort": p.name, "protocol": p.protocol})
	}
	spec["ports"] = out
	return obj{"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}
}

func buildPodDisruptionBudget(c *corePod) obj {
	budget := m(c.spec["podDisruptionBudget"])
	if budget == nil {
		return nil
	}
	spec := obj{"selector": obj{"matchLabels": selectorLabels(c.name)}}
	for _, k := range []string{"minAvailable", "maxUnavailable"} {
		if v, ok := budget[k]; ok {
			spec[k] = v
		}
	}
	return obj{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(c, c.name, "workload"), "spec": spec}
}

func fieldEnv(name, path string) obj {
	return obj{"name": name, "valueFrom": obj{"fieldRef": obj{"apiVersion": "v1", "fieldPath": path}}}
}

func probe(path string, period, failures int64) obj {
	return obj{"httpGet": obj{"path": path, "port": healthPortName, "scheme": "HTTP"}, "periodSeconds": period, "timeoutSeconds": int64(3), "failureThreshold": failures, "successThreshold": int64(1)}
}

func isLoopback(host string) bool {
	return host == "" || host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// podSecurity is pod-security.ts podSecurity: (pod, app container) security contexts.
func podSecurity(spec obj) (obj, obj) {
	seccomp := obj{"type": "RuntimeDefault"}
	nonRoot := m(spec["securityContext"])
	if nonRoot == nil {
		return obj{"seccompProfile": seccomp}, nil
	}
	pod := obj{"runAsNonRoot": true, "runAsUser": nonRoot["runAsUser"], "seccompProfile": seccomp}
	if g, ok := nonRoot["runAsGroup"]; ok {
		pod["runAsGroup"] = g
	} else {
		pod["runAsGroup"] = nonRoot["runAsUser"]
	}
	if g, ok := nonRoot["fsGroup"]; ok {
		pod["fsGroup"] = g
	}
	lowest, _ := num(spec["healthPort"])
	for _, p := range list(spec["programs"]) {
		program := m(p)
		for _, d := range list(program["ports"]) {
			if port, _ := num(m(d)["containerPort"]); port < lowest {
				lowest = port
			}
		}
		check := m(program["healthCheck"])
		for _, kind := range []string{"httpGet", "tcpSocket"} {
			if probe := m(check[kind]); probe != nil {
				if port, ok := num(probe["port"]); ok && isLoopback(str(probe["host"])) && port < lowest {
					lowest = port
				}
			}
		}
	}
	if lowest < 1024 {
		pod["sysctls"] = []any{obj{"name": "net.ipv4.ip_unprivileged_port_start", "value": fmt.Sprint(lowest)}}
	}
	app := obj{"allowPrivilegeEscalation": false, "capabilities": obj{"drop": []any{"ALL"}}, "runAsNonRoot": true}
	return pod, app
}

func resources(spec obj) obj {
	r := m(spec["resources"])
	if r == nil {
		return nil
	}
	out := obj{}
	for _, k := range []string{"requests", "limits"} {
		if l := m(r[k]); l != nil {
			values := obj{}
			for _, res := range []string{"cpu", "memory"} {
				if v, ok := l[res]; ok {
					values[res] = fmt.Sprint(v)
				}
			}
			out[k] = values
		}
	}
	return out
}

func buildDeployment(c *corePod, sc sidecar, ports []plannedPort, hash string) obj {
	spec := c.spec
	health, _ := num(spec["healthPort"])
	env := []any{
		fieldEnv("COREPOD_POD_NAME", "metadata.name"),
		fieldEnv("COREPOD_POD_NAMESPACE", "metadata.namespace"),
		fieldEnv("COREPOD_POD_UID", "metadata.uid"),
		fieldEnv("COREPOD_NODE_NAME", "spec.nodeName"),
		obj{"name": "COREPOD_NAME", "value": c.name},
		obj{"name": "COREPOD_CONFIG", "value": configMountPath + "/" + configFileKey},
		obj{"name": "COREPOD_HEALTH_PORT", "value": fmt.Sprint(health)},
	}
	if gh := m(m(spec["alerts"])["github"]); gh != nil {
		ref := m(gh["tokenSecretRef"])
		env = append(env, obj{"name": "COREPOD_GITHUB_TOKEN", "valueFrom": obj{"secretKeyRef": obj{"name": ref["name"], "key": ref["key"]}}})
	}
	var envFrom []any
	mounts := []any{
		obj{"name": "corepod-runtime", "mountPath": runtimeMountPath, "readOnly": true, "subPath": strings.TrimLeft(sc.runtimePath, "/")},
		obj{"name": "corepod-config", "mountPath": configMountPath, "readOnly": true},
		obj{"name": "corepod-token", "mountPath": tokenMountPath, "readOnly": true},
	}
	seenPath := map[string]bool{}
	for i, p := range list(spec["programs"]) {
		program := m(p)
		for _, v := range list(program["env"]) {
			variable := m(v)
			if from, ok := variable["valueFrom"]; ok {
				env = append(env, obj{"name": fmt.Sprintf("COREPOD_P%d_E_%s", i, str(variable["name"])), "valueFrom": from})
			}
		}
		for k, s := range list(program["envFrom"]) {
			source := obj{}
			for key, val := range m(s) {
				source[key] = val
			}
			source["prefix"] = fmt.Sprintf("COREPOD_P%d_F%d_", i, k) + str(source["prefix"])
			envFrom = append(envFrom, source)
		}
		for _, mount := range list(program["volumeMounts"]) {
			path := str(m(mount)["mountPath"])
			if !seenPath[path] {
				seenPath[path] = true
				mounts = append(mounts, mount)
			}
		}
	}
	containerPorts := []any{obj{"name": healthPortName, "containerPort": health, "protocol": "TCP"}}
	for _, p := range ports {
		containerPorts = append(containerPorts, obj{"name": p.name, "containerPort": p.port, "protocol": p.protocol})
	}
	entrypoint := make([]any, len(sc.entrypoint))
	for i, s := range sc.entrypoint {
		entrypoint[i] = s
	}
	app := obj{
		"name":           appContainer,
		"image":          spec["image"],
		"command":        entrypoint,
		"env":            env,
		"ports":          containerPorts,
		"startupProbe":   probe("/livez", 2, 60),
		"livenessProbe":  probe("/livez", 10, 3),
		"readinessProbe": probe("/readyz", 5, 1),
		"volumeMounts":   mounts,
	}
	if policy, ok := spec["imagePullPolicy"]; ok {
		app["imagePullPolicy"] = policy
	}
	if len(envFrom) > 0 {
		app["envFrom"] = envFrom
	}
	if r := resources(spec); r != nil {
		app["resources"] = r
	}
	podSC, appSC := podSecurity(spec)
	if appSC != nil {
		app["securityContext"] = appSC
	}
	labels := obj{}
	annotations := obj{}
	pm := m(spec["podMetadata"])
	for k, v := range m(pm["labels"]) {
		labels[k] = v
	}
	for k, v := range objectLabels(c.name, "workload") {
		labels[k] = v
	}
	for k, v := range m(pm["annotations"]) {
		annotations[k] = v
	}
	annotations[configHashAnnot] = hash
	annotations[defaultContainerKey] = appContainer
	podSpec := obj{}
	for _, f := range podPassThrough {
		if v, ok := spec[f]; ok {
			podSpec[f] = v
		}
	}
	podSpec["serviceAccountName"] = c.name + "-corepod"
	podSpec["automountServiceAccountToken"] = false
	if v, ok := spec["terminationGracePeriodSeconds"]; ok {
		podSpec["terminationGracePeriodSeconds"] = v
	}
	podSpec["enableServiceLinks"] = false
	podSpec["securityContext"] = podSC
	podSpec["containers"] = []any{app}
	public := int64(0o444)
	volumes := []any{
		obj{"name": "corepod-runtime", "image": obj{"reference": sc.image, "pullPolicy": sc.pullPolicy}},
		obj{"name": "corepod-config", "configMap": obj{"name": c.name + "-corepod-config", "items": []any{obj{"key": configFileKey, "path": configFileKey}}}},
		obj{"name": "corepod-token", "projected": obj{
			"defaultMode": int64(0o400),
			"sources": []any{
				obj{"serviceAccountToken": obj{"path": "token", "expirationSeconds": int64(3607)}},
				obj{"configMap": obj{"name": "kube-root-ca.crt", "items": []any{obj{"key": "ca.crt", "path": "ca.crt", "mode": public}}}},
				obj{"downwardAPI": obj{"items": []any{obj{"path": "namespace", "fieldRef": obj{"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "mode": public}}}},
			},
		}},
	}
	volumes = append(volumes, list(spec["volumes"])...)
	podSpec["volumes"] = volumes
	return obj{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   meta(c, c.name, "workload"),
		"spec": obj{
			"replicas": spec["replicas"],
			"selector": obj{"matchLabels": selectorLabels(c.name)},
			"strategy": obj{"type": "RollingUpdate", "rollingUpdate": obj{"maxSurge": "25%", "maxUnavailable": int64(0)}},
			"template": obj{"metadata": obj{"labels": labels, "annotations": annotations}, "spec": podSpec},
		},
	}
}

// desired is desired-state.ts desiredState: the objects in apply order, and the kinds to delete.
func desired(c *corePod, sc sidecar) (objects []obj, absent []string, problems []problem) {
	ports, problems := planPorts(c.spec)
	config := supervisorConfig(c)
	hash := configHash(config)
	objects = []obj{buildConfigMap(c, config), buildServiceAccount(c), buildRole(c), buildRoleBinding(c), buildDeployment(c, sc, ports, hash)}
	if s := buildService(c, ports); s != nil {
		objects = append(objects, s)
	} else {
		absent = append(absent, "Service")
	}
	if b := buildPodDisruptionBudget(c); b != nil {
		objects = append(objects, b)
	} else {
		absent = append(absent, "PodDisruptionBudget")
	}
	return objects, absent, problems
}
