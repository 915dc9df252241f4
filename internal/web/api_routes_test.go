package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIDescribesEveryRoute holds the routes file and the document to each other: every
// API route is described with its method, and nothing else is; every guarded operation
// documents the refusals its guard and handler can give.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPISource, &doc); err != nil {
		t.Fatal(err)
	}
	type op struct {
		Description string                     `json:"description"`
		RequestBody json.RawMessage            `json:"requestBody"`
		Responses   map[string]json.RawMessage `json:"responses"`
		Security    *[]any                     `json:"security"`
	}
	documented := map[string]op{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var o op
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			documented[strings.ToUpper(method)+" "+path] = o
		}
	}

	s := &Server{}
	served := map[string]bool{}
	for _, rt := range s.apiRoutes() {
		key := rt.Method + " " + strings.TrimPrefix(rt.Path, apiBase)
		served[key] = true
		o, ok := documented[key]
		if !ok {
			t.Errorf("%s is served but not in openapi.json", key)
			continue
		}
		if rt.Guard.Kind == "public" {
			if o.Security == nil || len(*o.Security) != 0 {
				t.Errorf("%s is public but the document asks for a token", key)
			}
			continue
		}
		if rt.Guard.Kind != "token" {
			t.Errorf("%s: API routes take tokens, not %q guards", key, rt.Guard.Kind)
		}
		want := []string{"401"}
		if rt.Guard.Perm != "" {
			want = append(want, "403")
		}
		if strings.Contains(rt.Path, "{reference}") {
			want = append(want, "404")
		}
		if len(o.RequestBody) > 0 {
			want = append(want, "413", "422")
		}
		for _, code := range want {
			if _, ok := o.Responses[code]; !ok {
				t.Errorf("%s does not document its %s", key, code)
			}
		}
		if rt.Guard.Perm != "" && !strings.Contains(o.Description, "Needs the `"+rt.Guard.Perm+"` ability.") {
			t.Errorf("%s: the document does not say it needs %s", key, rt.Guard.Perm)
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("openapi.json describes %s, which is not served", key)
		}
	}
}
