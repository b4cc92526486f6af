// A controller-runtime peer of the CorePod operator, for bench/operator-bench.ts: it reconciles
// CorePods into the same seven kinds of objects with server-side apply (one field manager, force)
// and writes the same status through the status subresource, the way a Go operator written with
// controller-runtime would (a reconcile applies its objects one after the other; caches are
// namespace-scoped, label-selected and stripped of managedFields).
//
//	peer-operator --kubeconfig FILE --namespace NS [--sidecar-image IMAGE] [--concurrency N]
//	              [--metrics-bind-address 127.0.0.1:PORT] [--field-manager NAME]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

var corePodGVK = schema.GroupVersionKind{Group: group, Version: "v1alpha1", Kind: "CorePod"}

type reconciler struct {
	client       client.Client
	sidecar      sidecar
	fieldManager string
}

func newCorePod() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(corePodGVK)
	return u
}

func (r *reconciler) apply(ctx context.Context, o obj) error {
	return r.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(&unstructured.Unstructured{Object: o}), client.FieldOwner(r.fieldManager), client.ForceOwnership)
}

func (r *reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	u := newCorePod()
	if err := r.client.Get(ctx, req.NamespacedName, u); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if u.GetDeletionTimestamp() != nil {
		return reconcile.Result{}, nil
	}
	c := &corePod{name: u.GetName(), namespace: u.GetNamespace(), uid: string(u.GetUID()), apiVersion: u.GetAPIVersion(), kind: u.GetKind(), generation: u.GetGeneration()}
	c.spec = m(u.Object["spec"])
	c.status = m(u.Object["status"])
	objects, absent, problems := desired(c, r.sidecar)
	if len(problems) > 0 {
		return reconcile.Result{}, r.writeStatus(ctx, c, problems, nil, "")
	}
	var applyError string
	for _, o := range objects {
		if err := r.apply(ctx, o); err != nil {
			applyError = err.Error()
			_ = r.writeStatus(ctx, c, nil, unusedVolumes(c.spec), applyError)
			return reconcile.Result{}, err
		}
	}
	for _, kind := range absent {
		var existing client.Object = &corev1.Service{}
		if kind == "PodDisruptionBudget" {
			existing = &policyv1.PodDisruptionBudget{}
		}
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: c.namespace, Name: c.name}, existing); err == nil {
			if owner := metav1.GetControllerOf(existing); owner != nil && string(owner.UID) == c.uid {
				if err := r.client.Delete(ctx, existing, client.Preconditions{UID: ptr(existing.GetUID())}); client.IgnoreNotFound(err) != nil {
					return reconcile.Result{}, err
				}
			}
		} else if !apierrors.IsNotFound(err) {
			return reconcile.Result{}, err
		}
	}
	return reconcile.Result{}, r.writeStatus(ctx, c, nil, unusedVolumes(c.spec), applyError)
}

func ptr[T any](v T) *T { return &v }

func (r *reconciler) writeStatus(ctx context.Context, c *corePod, problems, warnings []problem, applyError string) error {
	var view *deploymentView
	d := &appsv1.Deployment{}
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: c.namespace, Name: c.name}, d); err == nil {
		view = &deploymentView{generation: d.Generation, observedGeneration: d.Status.ObservedGeneration, replicas: int64(d.Status.Replicas), updatedReplicas: int64(d.Status.UpdatedReplicas), availableReplicas: int64(d.Status.AvailableReplicas)}
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	pods := &corev1.PodList{}
	if err := r.client.List(ctx, pods, client.InNamespace(c.namespace), client.MatchingLabels{"app.kubernetes.io/instance": c.name}); err != nil {
		return err
	}
	live := map[string]bool{}
	for _, p := range pods.Items {
		live[p.Name] = true
	}
	now := time.Now().UTC().Format(time.RFC3339)
	status, prune := rollup(c, problems, warnings, applyError, view, live, now)
	if statusDiffers(c.status, status) {
		o := obj{"apiVersion": c.apiVersion, "kind": c.kind, "metadata": obj{"name": c.name, "namespace": c.namespace}, "status": status}
		if err := r.client.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(&unstructured.Unstructured{Object: o}), client.FieldOwner(r.fieldManager), client.ForceOwnership); err != nil {
			return err
		}
	}
	if len(prune) > 0 {
		// A JSON patch that removes the entries of pods that are gone, each guarded by a test of its name.
		var ops []string
		reported := list(c.status["pods"])
		for i := len(reported) - 1; i >= 0; i-- {
			name := str(m(reported[i])["name"])
			for _, gone := range prune {
				if gone == name {
					ops = append(ops, fmt.Sprintf(`{"op":"test","path":"/status/pods/%d/name","value":%q},{"op":"remove","path":"/status/pods/%d"}`, i, name, i))
				}
			}
		}
		u := newCorePod()
		u.SetName(c.name)
		u.SetNamespace(c.namespace)
		patch := client.RawPatch(types.JSONPatchType, []byte("["+strings.Join(ops, ",")+"]"))
		if err := r.client.Status().Patch(ctx, u, patch); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	namespace := flag.String("namespace", "", "the one namespace to watch")
	image := flag.String("sidecar-image", "corepod/sidecar:dev", "image holding the sidecar-init runtime")
	concurrency := flag.Int("concurrency", 128, "MaxConcurrentReconciles")
	metricsAddr := flag.String("metrics-bind-address", "0", "address of /metrics; 0 disables it")
	fieldManager := flag.String("field-manager", "corepod-peer-operator", "server-side apply field manager")
	flag.Parse()
	if *namespace == "" {
		fmt.Fprintln(os.Stderr, "peer-operator: --namespace is required")
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseDevMode(false)))
	// --kubeconfig is controller-runtime's own flag (pkg/client/config).
	cfg, err := clientcmd.BuildConfigFromFlags("", flag.Lookup("kubeconfig").Value.String())
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer-operator: %v\n", err)
		os.Exit(2)
	}
	// controller-runtime's own default: no client-side rate limit (the apiserver's priority and fairness decides).
	cfg.QPS = -1
	cfg.UserAgent = "corepod-peer-operator"
	managed := labels.SelectorFromSet(labels.Set{"app.kubernetes.io/managed-by": managedBy})
	byLabel := cache.ByObject{Label: managed}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress: "0",
		Cache: cache.Options{
			DefaultNamespaces: map[string]cache.Config{*namespace: {}},
			DefaultTransform:  cache.TransformStripManagedFields(),
			ByObject: map[client.Object]cache.ByObject{
				&appsv1.Deployment{}:            byLabel,
				&corev1.ConfigMap{}:             byLabel,
				&corev1.Service{}:               byLabel,
				&corev1.ServiceAccount{}:        byLabel,
				&rbacv1.Role{}:                  byLabel,
				&rbacv1.RoleBinding{}:           byLabel,
				&policyv1.PodDisruptionBudget{}: byLabel,
				&corev1.Pod{}:                   byLabel,
			},
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer-operator: %v\n", err)
		os.Exit(1)
	}
	r := &reconciler{client: mgr.GetClient(), fieldManager: *fieldManager, sidecar: sidecar{image: *image, runtimePath: "/opt/corepod/runtime", entrypoint: []string{"/corepod/bin/corepod-init"}, pullPolicy: "IfNotPresent"}}
	byInstance := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		if name := o.GetLabels()["app.kubernetes.io/instance"]; name != "" {
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
		}
		return nil
	})
	err = ctrl.NewControllerManagedBy(mgr).
		For(newCorePod()).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Watches(&corev1.Pod{}, byInstance).
		WithOptions(controller.Options{MaxConcurrentReconciles: *concurrency}).
		Complete(r)
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer-operator: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "peer-operator: watching namespace %s, %d concurrent reconciles, metrics on %s\n", *namespace, *concurrency, *metricsAddr)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		fmt.Fprintf(os.Stderr, "peer-operator: %v\n", err)
		os.Exit(1)
	}
}
