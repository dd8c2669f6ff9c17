package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeSchedules is the part of Pulumi Cloud's schedule API the drift sync uses, answering as the API reference
// describes (list: {"schedules":[ScheduledAction]}; drift create/update: the ScheduledAction).
type fakeSchedules struct {
	mu        sync.Mutex
	schedules []map[string]any
	calls     []string
	next      int
}

func (f *fakeSchedules) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "token pul-123" {
		http.Error(w, `{"code":401,"message":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	base := "/api/stacks/acme/wechat-deploy/dev/deployments"
	var body map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		_ = json.Unmarshal(b, &body)
	}
	drift := func(id string) map[string]any {
		return map[string]any{"id": id, "orgID": "o", "scheduleCron": body["scheduleCron"], "kind": "deployment", "paused": false,
			"nextExecution": "2026-11-28T06:00:00Z", "created": "x", "modified": "x",
			"definition": map[string]any{"programID": "p", "request": map[string]any{"operation": "detect-drift",
				"operationContext": map[string]any{"options": map[string]any{"remediateIfDriftDetected": body["autoRemediate"] == true}}}}}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base+"/schedules":
		_ = json.NewEncoder(w).Encode(map[string]any{"schedules": f.schedules})
	case r.Method == http.MethodPost && r.URL.Path == base+"/drift/schedules":
		f.next++
		s := drift(fmt.Sprintf("new-%d", f.next))
		f.schedules = append(f.schedules, s)
		_ = json.NewEncoder(w).Encode(s)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, base+"/drift/schedules/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/drift/schedules/")
		for i, s := range f.schedules {
			if s["id"] == id {
				f.schedules[i] = drift(id)
				_ = json.NewEncoder(w).Encode(f.schedules[i])
				return
			}
		}
		http.Error(w, `{"code":404,"message":"no schedule"}`, http.StatusNotFound)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, base+"/schedules/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/schedules/")
		f.schedules = slices.DeleteFunc(f.schedules, func(s map[string]any) bool { return s["id"] == id })
	default:
		http.Error(w, `{"code":404,"message":"not found"}`, http.StatusNotFound)
	}
}

func (f *fakeSchedules) drift() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, s := range f.schedules {
		if s["definition"].(map[string]any)["request"].(map[string]any)["operation"] == "detect-drift" {
			out = append(out, s)
		}
	}
	return out
}

// remediates reads where the service keeps a drift schedule's auto-remediation (pulumi stack schedule get).
func remediates(s map[string]any) bool {
	req := s["definition"].(map[string]any)["request"].(map[string]any)
	ctx, _ := req["operationContext"].(map[string]any)
	opts, _ := ctx["options"].(map[string]any)
	return opts["remediateIfDriftDetected"] == true
}

// TestSyncDrift: pushing creates the schedule once, later pushes update it in place (no duplicates), a stray
// second drift schedule is removed, a TTL schedule is left alone, and a file without drift removes them.
func TestSyncDrift(t *testing.T) {
	ttl := map[string]any{"id": "ttl-1", "orgID": "o", "scheduleOnce": "2026-12-01T00:00:00Z", "kind": "deployment", "paused": false,
		"nextExecution": "x", "created": "x", "modified": "x", "definition": map[string]any{"request": map[string]any{"operation": "destroy"}}}
	f := &fakeSchedules{schedules: []map[string]any{ttl}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := &Client{API: srv.URL, Token: "pul-123"}
	ctx := context.Background()

	if err := c.SyncDrift(ctx, "acme", "wechat-deploy", "dev", &Drift{Schedule: "0 */6 * * *", AutoRemediate: true}); err != nil {
		t.Fatal(err)
	}
	if d := f.drift(); len(d) != 1 || d[0]["scheduleCron"] != "0 */6 * * *" || !remediates(d[0]) {
		t.Fatalf("after the first push: %v", d)
	}
	// A stray duplicate made by hand, then a changed schedule.
	f.mu.Lock()
	f.schedules = append(f.schedules, map[string]any{"id": "stray", "orgID": "o", "kind": "deployment", "scheduleCron": "* * * * *", "paused": false,
		"nextExecution": "x", "created": "x", "modified": "x", "definition": map[string]any{"request": map[string]any{"operation": "detect-drift"}}})
	f.mu.Unlock()
	if err := c.SyncDrift(ctx, "acme", "wechat-deploy", "dev", &Drift{Schedule: "0 * * * *"}); err != nil {
		t.Fatal(err)
	}
	if d := f.drift(); len(d) != 1 || d[0]["id"] != "new-1" || d[0]["scheduleCron"] != "0 * * * *" || remediates(d[0]) {
		t.Fatalf("after the second push: %v", d)
	}
	if err := c.SyncDrift(ctx, "acme", "wechat-deploy", "dev", nil); err != nil {
		t.Fatal(err)
	}
	if d := f.drift(); len(d) != 0 || len(f.schedules) != 1 || f.schedules[0]["id"] != "ttl-1" {
		t.Fatalf("after removing drift detection: %v", f.schedules)
	}
	if err := (&Client{API: srv.URL, Token: "wrong"}).SyncDrift(ctx, "acme", "wechat-deploy", "dev", nil); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("a refused call: %v", err)
	}
}
