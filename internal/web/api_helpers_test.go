package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// spec is the API's OpenAPI document loaded into a validator, once per test binary.
var spec struct {
	once sync.Once
	mu   sync.Mutex // the validator keeps caches; tests share it one at a time
	v    validator.Validator
	err  error
}

func specValidator(t testing.TB) validator.Validator {
	t.Helper()
	spec.once.Do(func() {
		src, err := os.ReadFile("openapi.json")
		if err != nil {
			spec.err = err
			return
		}
		doc, err := libopenapi.NewDocument(src)
		if err != nil {
			spec.err = err
			return
		}
		v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
		if len(errs) > 0 {
			spec.err = fmt.Errorf("%v", errs)
			return
		}
		spec.v = v
	})
	if spec.err != nil {
		t.Fatalf("openapi.json: %v", spec.err)
	}
	return spec.v
}

// conforms fails the test unless the response is one the document describes for its request:
// a documented status, and a body that matches that status's schema.
func conforms(t testing.TB, r *testdesk.Response) {
	t.Helper()
	v := specValidator(t)
	res := &http.Response{
		StatusCode: r.Status, Header: r.Header, Request: r.Request,
		Body: io.NopCloser(bytes.NewReader(r.Body)), ContentLength: int64(len(r.Body)),
	}
	spec.mu.Lock()
	ok, errs := v.ValidateHttpResponse(r.Request, res)
	spec.mu.Unlock()
	if ok {
		return
	}
	var msgs []string
	for _, e := range errs {
		msg := e.Message + ": " + e.Reason
		for _, f := range e.SchemaValidationErrors {
			msg += fmt.Sprintf("\n    at %s (%s): %s", f.FieldPath, f.KeywordLocation, f.Reason)
		}
		msgs = append(msgs, msg)
	}
	t.Fatalf("%s %s answered %d, which openapi.json does not describe:\n  %s\nbody: %s",
		r.Request.Method, r.Request.URL.Path, r.Status, strings.Join(msgs, "\n  "), r.Body)
}

// api is a client of the REST API: every request goes below /api/v1 and every response is
// checked against the OpenAPI document.
type api struct {
	t *testing.T
	c *testdesk.Client
}

func newAPI(t *testing.T, c *testdesk.Client) *api { return &api{t: t, c: c} }

func (a *api) Do(method, path string, body any) *testdesk.Response {
	a.t.Helper()
	r := a.c.Do(method, "/api/v1"+path, body)
	conforms(a.t, r)
	return r
}

// bearer returns an API client that sends token.
func bearer(t *testing.T, d *testdesk.Desk, token string) *api {
	return newAPI(t, d.Bearer(token))
}

var hexToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

// createToken has the signed-in client make a token through the admin endpoint and returns
// its id and plaintext.
func createToken(t *testing.T, c *testdesk.Client, body map[string]any) (int64, string) {
	t.Helper()
	data := c.Do("POST", "/admin/api-tokens", body).Want(201).Data()
	tok, _ := data["token"].(string)
	if !hexToken.MatchString(tok) {
		t.Fatalf("created token is not 64 hex characters: %v", data)
	}
	return int64(data["id"].(float64)), tok
}

// tokenFor makes a token for the signed-in client itself with the given abilities.
func tokenFor(t *testing.T, c *testdesk.Client, abilities ...string) string {
	t.Helper()
	_, tok := createToken(t, c, map[string]any{"name": "test", "abilities": abilities})
	return tok
}
