// The CorePod status, rolled up the way operator/controller/status-rollup.ts does it: the same
// fields (observedGeneration, phase, readyProcesses, restarts, conditions, replicas, selector).
package main

import (
	"fmt"
	"slices"
	"strings"
)

type deploymentView struct {
	generation, observedGeneration, replicas, updatedReplicas, availableReplicas int64
}

type condition struct{ typ, status, reason, message string }

var conditionOrder = []string{"Ready", "Progressing", "Degraded", "SpecWarning"}

func problemText(problems []problem) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.path + ": " + p.message
	}
	return strings.Join(parts, "; ")
}

// processReady is contract/readiness.ts processReadiness.
func processReady(process, program obj) bool {
	if program["schedule"] != nil {
		return true
	}
	autostart := program["autostart"] != false
	switch str(process["state"]) {
	case "RUNNING":
		if required, _ := m(program["healthCheck"])["required"].(bool); required && process["healthy"] != true {
			return false
		}
		return true
	case "EXITED":
		code, hasCode := num(process["lastExitCode"])
		_, signalled := process["lastSignal"]
		if program["autorestart"] != true && !signalled && hasCode {
			for _, c := range list(program["exitCodes"]) {
				if n, _ := num(c); n == code {
					return true
				}
			}
		}
	case "STOPPED":
		return !autostart
	}
	return false
}

// rollup returns the status to write and the status.pods[] names of pods that no longer exist.
func rollup(c *corePod, problems, warnings []problem, applyError string, d *deploymentView, livePods map[string]bool, now string) (obj, []string) {
	spec := c.spec
	replicas, _ := num(spec["replicas"])
	programs := map[string]obj{}
	var expected int64
	for _, p := range list(spec["programs"]) {
		program := m(p)
		programs[str(program["name"])] = program
		if program["autostart"] != false {
			expected += replicas
		}
	}
	var ready, restarts int64
	var fatal, blocked, prune []string
	live := 0
	for _, pv := range list(c.status["pods"]) {
		pod := m(pv)
		podName := str(pod["name"])
		if livePods != nil && !livePods[podName] {
			prune = append(prune, podName)
			continue
		}
		live++
		for _, pr := range list(pod["processes"]) {
			process := m(pr)
			n, _ := num(process["restarts"])
			restarts += n
			program, ok := programs[str(process["name"])]
			if !ok {
				continue
			}
			if program["autostart"] != false && processReady(process, program) {
				ready++
			}
			if str(process["state"]) == "FATAL" {
				fatal = append(fatal, str(process["name"])+" in pod "+podName)
			}
			if str(process["reason"]) == "DependencyFailed" {
				msg := str(process["message"])
				if msg == "" {
					msg = "a dependency failed"
				}
				blocked = append(blocked, fmt.Sprintf("%s in pod %s (%s)", str(process["name"]), podName, msg))
			}
		}
	}
	ready = min(ready, expected)
	rolledOut := d != nil && d.observedGeneration >= d.generation && d.updatedReplicas >= replicas && d.availableReplicas >= replicas && d.replicas <= replicas

	var phase string
	var readyC, progressing, degraded condition
	switch {
	case len(problems) > 0:
		phase = "Failed"
		readyC = condition{"Ready", "False", problems[0].reason, problemText(problems)}
	case replicas == 0:
		phase = "Running"
		readyC = condition{"Ready", "True", "ScaledToZero", "spec.replicas is 0"}
	case len(fatal) > 0:
		phase = "Degraded"
		readyC = condition{"Ready", "False", "ProcessFatal", "FATAL: " + strings.Join(fatal, ", ")}
	case ready == expected && expected > 0 && live > 0:
		phase = "Running"
		readyC = condition{"Ready", "True", "AllProcessesReady", fmt.Sprintf("%d/%d processes ready", ready, expected)}
	case live == 0:
		phase = "Pending"
		readyC = condition{"Ready", "False", "WaitingForPods", "no pod has reported its processes yet"}
	default:
		phase = "Starting"
		readyC = condition{"Ready", "False", "ProcessesNotReady", fmt.Sprintf("%d/%d processes ready", ready, expected)}
	}
	switch {
	case len(problems) > 0:
		progressing = condition{"Progressing", "False", problems[0].reason, "the spec must be fixed before the operator can roll it out"}
	case applyError != "":
		progressing = condition{"Progressing", "True", "ApplyFailed", applyError}
	case !rolledOut:
		msg := "creating the Deployment"
		if d != nil {
			msg = fmt.Sprintf("%d updated, %d available of %d", d.updatedReplicas, d.availableReplicas, replicas)
		}
		progressing = condition{"Progressing", "True", "RollingOut", msg}
	default:
		progressing = condition{"Progressing", "False", "RolloutComplete", fmt.Sprintf("%d replicas up to date", replicas)}
	}
	switch {
	case len(problems) > 0:
		degraded = condition{"Degraded", "True", problems[0].reason, problemText(problems)}
	case applyError != "":
		degraded = condition{"Degraded", "True", "ApplyFailed", applyError}
	case len(fatal) > 0:
		degraded = condition{"Degraded", "True", "ProcessFatal", "FATAL: " + strings.Join(fatal, ", ")}
	case len(blocked) > 0:
		degraded = condition{"Degraded", "True", "DependencyFailed", "waiting for a failed dependency: " + strings.Join(blocked, ", ")}
	default:
		degraded = condition{"Degraded", "False", "AsExpected", ""}
	}
	next := []condition{readyC, progressing, degraded}
	if len(warnings) > 0 {
		next = append(next, condition{"SpecWarning", "True", warnings[0].reason, problemText(warnings)})
	}

	// setCondition (conditions.ts): lastTransitionTime moves only when the status flips; one per type.
	previous := map[string]obj{}
	var conditions []any
	for _, cv := range list(c.status["conditions"]) {
		existing := m(cv)
		typ := str(existing["type"])
		previous[typ] = existing
		if typ == "SpecWarning" && len(warnings) == 0 {
			continue
		}
		if !slices.ContainsFunc(next, func(n condition) bool { return n.typ == typ }) {
			conditions = append(conditions, existing)
		}
	}
	for _, n := range next {
		at := now
		if p := previous[n.typ]; p != nil && str(p["status"]) == n.status {
			at = str(p["lastTransitionTime"])
		}
		conditions = append(conditions, obj{"type": n.typ, "status": n.status, "reason": n.reason, "message": n.message, "lastTransitionTime": at, "observedGeneration": c.generation})
	}
	slices.SortStableFunc(conditions, func(a, b any) int { return order(str(m(a)["type"])) - order(str(m(b)["type"])) })

	var deployed int64
	if d != nil {
		deployed = d.replicas
	}
	return obj{
		"observedGeneration": c.generation,
		"phase":              phase,
		"readyProcesses":     fmt.Sprintf("%d/%d", ready, expected),
		"restarts":           restarts,
		"conditions":         conditions,
		"replicas":           deployed,
		"selector":           selectorString(c.name),
	}, prune
}

func order(typ string) int {
	if i := slices.Index(conditionOrder, typ); i >= 0 {
		return i
	}
	return 99
}

// statusDiffers is status-rollup.ts statusDiffers: the owned fields, conditions by type.
func statusDiffers(current, next obj) bool {
	if current == nil {
		return true
	}
	for _, k := range []string{"observedGeneration", "restarts", "replicas"} {
		a, okA := num(current[k])
		b, _ := num(next[k])
		if !okA || a != b {
			return true
		}
	}
	for _, k := range []string{"phase", "readyProcesses", "selector"} {
		if str(current[k]) != str(next[k]) {
			return true
		}
	}
	have := list(current["conditions"])
	want := list(next["conditions"])
	if len(have) != len(want) {
		return true
	}
	for _, w := range want {
		wc := m(w)
		var h obj
		for _, x := range have {
			if str(m(x)["type"]) == str(wc["type"]) {
				h = m(x)
			}
		}
		if h == nil {
			return true
		}
		for _, k := range []string{"status", "reason", "message", "lastTransitionTime"} {
			if str(h[k]) != str(wc[k]) {
				return true
			}
		}
		hg, _ := num(h["observedGeneration"])
		wg, _ := num(wc["observedGeneration"])
		if hg != wg {
			return true
		}
	}
	return false
}
