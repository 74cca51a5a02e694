package kubernetes

import (
	"os"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// decode reads a manifest into v strictly: an unknown or misspelt field
// is an error.
func decode(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestStrictDecoding: the decoding the tests use refuses a misspelt
// field, so that the manifests' tests mean something.
func TestStrictDecoding(t *testing.T) {
	b, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "parallelism:", "paralelism:", 1)
	if err := yaml.UnmarshalStrict([]byte(bad), &batchv1.Job{}); err == nil || !strings.Contains(err.Error(), "paralelism") {
		t.Errorf("a misspelt field is accepted: %v", err)
	}
}

func TestJob(t *testing.T) {
	var job batchv1.Job
	decode(t, "job.yaml", &job)
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		t.Fatalf("%s %s", job.APIVersion, job.Kind)
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Error("not an Indexed Job")
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Parallelism < 1 || *s.Parallelism > *s.Completions {
		t.Error("completions and parallelism")
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex < 1 {
		t.Error("no backoffLimitPerIndex: a failed account is not retried on its own")
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: backoffLimitPerIndex needs Never", pod.RestartPolicy)
	}
	if s.PodFailurePolicy != nil {
		for _, r := range s.PodFailurePolicy.Rules {
			if r.OnExitCodes != nil && r.Action == batchv1.PodFailurePolicyActionFailIndex && !slices.Contains(r.OnExitCodes.Values, 161) {
				t.Error("a refused login (161) is retried")
			}
		}
	}
	sc := pod.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Error("the pod may run as root")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Args) < 2 || c.Args[0] != "batch" || !strings.HasPrefix(c.Args[1], "/accounts/") {
		t.Errorf("args %q: not `batch /accounts/FILE`", c.Args)
	}
	for _, a := range c.Args {
		if a == "--index" {
			t.Error("--index in the args: each pod reads JOB_COMPLETION_INDEX")
		}
	}
	if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Error("the container may escalate privileges")
	}
	mem := c.Resources.Requests[corev1.ResourceMemory]
	limit := c.Resources.Limits[corev1.ResourceMemory]
	// One account's sync peaks near 45 MB RSS (make bench): the request
	// covers it twice, the limit leaves room for large messages.
	if mem.Cmp(resource.MustParse("90Mi")) < 0 || limit.Cmp(mem) <= 0 {
		t.Errorf("memory request %s, limit %s", mem.String(), limit.String())
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	for name := range mounts {
		if _, ok := vols[name]; !ok {
			t.Errorf("mount %s has no volume", name)
		}
	}
	var secret corev1.Secret
	decode(t, "secret.yaml", &secret)
	var pvc corev1.PersistentVolumeClaim
	decode(t, "pvc.yaml", &pvc)
	if v := vols["accounts"]; v.Secret == nil || v.Secret.SecretName != secret.Name || !strings.HasPrefix(c.Args[1], mounts["accounts"]+"/") {
		t.Error("the accounts file is not the Secret's")
	}
	if _, ok := secret.StringData[strings.TrimPrefix(c.Args[1], mounts["accounts"]+"/")]; !ok {
		t.Errorf("the Secret has no key for %s", c.Args[1])
	}
	if v := vols["data"]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Error("the data volume is not the claim's")
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Error("the pods of several nodes share the claim: it must be ReadWriteMany")
	}
	outdir := ""
	for i, a := range c.Args {
		if a == "--outdir" && i+1 < len(c.Args) {
			outdir = c.Args[i+1]
		}
	}
	if !strings.HasPrefix(outdir, mounts["data"]+"/") {
		t.Errorf("--outdir %q is not on the data volume (%s)", outdir, mounts["data"])
	}
}

// TestContainerfile: a static binary on a minimal, non-root image.
func TestContainerfile(t *testing.T) {
	b, err := os.ReadFile("../../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	var froms []string
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			froms = append(froms, f[1])
		}
	}
	if len(froms) == 0 {
		t.Fatal("no FROM")
	}
	final := froms[len(froms)-1]
	if final != "scratch" && !strings.HasPrefix(final, "gcr.io/distroless/static") {
		t.Errorf("final image %s: not scratch or distroless static", final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532"} {
		if !strings.Contains(text, want) {
			t.Errorf("Containerfile lacks %q", want)
		}
	}
}
