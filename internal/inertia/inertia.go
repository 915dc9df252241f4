// Package inertia is a small server-side adapter for the Inertia.js protocol. A first visit
// gets an HTML shell that carries the page object; later visits (X-Inertia) get the page
// object as JSON; a visit made with an old build gets a 409 so the browser reloads; a partial
// reload gets only the props it names. It knows nothing of the desk: callers pass the page
// and its props.
package inertia

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// The protocol's headers.
const (
	HeaderInertia          = "X-Inertia"
	HeaderVersion          = "X-Inertia-Version"
	HeaderLocation         = "X-Inertia-Location"
	HeaderPartialComponent = "X-Inertia-Partial-Component"
	HeaderPartialData      = "X-Inertia-Partial-Data"
	HeaderPartialExcept    = "X-Inertia-Partial-Except"
)

// Page is the page object: which component to show, with which props, at which URL, built
// from which assets.
type Page struct {
	Component string         `json:"component"`
	Props     map[string]any `json:"props"`
	URL       string         `json:"url"`
	Version   string         `json:"version"`
}

// Lazy is a prop computed only when the response includes it, so a partial reload that
// leaves it out costs nothing.
type Lazy func() (any, error)

// Always wraps a prop that partial reloads include whatever they ask for, as the protocol
// does with the validation errors.
type Always struct{ Value any }

// IsRequest reports whether r was made by the Inertia client.
func IsRequest(r *http.Request) bool { return r.Header.Get(HeaderInertia) == "true" }

// Renderer renders pages with one HTML shell and one build of the frontend.
type Renderer struct {
	shell   *template.Template
	assets  Assets
	version string
}

// ShellData is what the HTML shell template is executed with.
type ShellData struct {
	// Page is the page object as JSON, for the root element's data-page attribute; the
	// template escapes it.
	Page string
	// CSRFToken is the session's token for <meta name="csrf-token">, or empty.
	CSRFToken string
	// Script is the URL of the entry module; Styles and Preloads are the stylesheets and
	// the modules it imports.
	Script   string
	Styles   []string
	Preloads []string
}

// New returns a renderer for the build whose Vite manifest is manifest, with entry as the
// manifest key of the entry module and base as the URL the build's files are served under.
// A nil shell takes DefaultShell. The asset version is a hash of the manifest, so every new
// build is a new version.
func New(shell *template.Template, manifest []byte, entry, base string) (*Renderer, error) {
	if shell == nil {
		shell = DefaultShell()
	}
	assets, err := EntryAssets(manifest, entry, base)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(manifest)
	return &Renderer{shell: shell, assets: assets, version: hex.EncodeToString(sum[:16])}, nil
}

// Version is the asset version pages carry and Inertia visits send back.
func (x *Renderer) Version() string { return x.version }

// Stale reports whether r is an Inertia visit made with another build than this one. The
// caller answers it with Location to the same URL, so the browser loads the new build.
func (x *Renderer) Stale(r *http.Request) bool {
	return r.Method == http.MethodGet && IsRequest(r) && r.Header.Get(HeaderVersion) != x.version
}

// Location sends the browser to url with a full page load: a 409 with X-Inertia-Location
// for an Inertia visit, which the client follows with window.location, else a 303.
func Location(w http.ResponseWriter, r *http.Request, url string) {
	if IsRequest(r) {
		w.Header().Set(HeaderLocation, url)
		w.WriteHeader(http.StatusConflict)
		return
	}
	Redirect(w, url)
}

// Redirect answers with a 303, which every client follows with a GET: after a PUT, PATCH or
// DELETE a 302 would be repeated with the same method.
func Redirect(w http.ResponseWriter, url string) {
	w.Header().Set("Location", url)
	w.WriteHeader(http.StatusSeeOther)
}

// Render answers r with p: the page object as JSON to an Inertia visit, else the HTML shell
// with the page object in it. Props are filtered for a partial reload of the same component,
// then Lazy ones computed. Pages hold the signed-in person's data, so nothing is cached.
func (x *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, p Page, csrfToken string) error {
	props, err := resolve(r, p.Component, p.Props)
	if err != nil {
		return err
	}
	p.Props, p.Version = props, x.version
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("inertia: encode page %s: %w", p.Component, err)
	}
	h := w.Header()
	h.Add("Vary", HeaderInertia)
	h.Set("Cache-Control", "no-store")
	if IsRequest(r) {
		h.Set(HeaderInertia, "true")
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return nil
	}
	var buf bytes.Buffer
	data := ShellData{Page: string(body), CSRFToken: csrfToken, Script: x.assets.Script, Styles: x.assets.Styles, Preloads: x.assets.Preloads}
	if err := x.shell.Execute(&buf, data); err != nil {
		return fmt.Errorf("inertia: render shell: %w", err)
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
	return nil
}

// Evaluate computes every Lazy prop and unwraps every Always one, for callers that send
// props outside a page (a JSON client asking a page-only URL).
func Evaluate(props map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(props))
	for k, v := range props {
		v, err := value(v)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// resolve keeps the props a partial reload of component asks for, with the Always ones, and
// computes them. A reload of another component, or a visit that is not partial, gets all.
func resolve(r *http.Request, component string, props map[string]any) (map[string]any, error) {
	only, except := list(r.Header.Get(HeaderPartialData)), list(r.Header.Get(HeaderPartialExcept))
	partial := IsRequest(r) && r.Header.Get(HeaderPartialComponent) == component && (len(only) > 0 || len(except) > 0)
	kept := make(map[string]any, len(props))
	for k, v := range props {
		_, always := v.(Always)
		if partial && !always && ((len(only) > 0 && !slices.Contains(only, k)) || slices.Contains(except, k)) {
			continue
		}
		kept[k] = v
	}
	return Evaluate(kept)
}

func value(v any) (any, error) {
	if a, ok := v.(Always); ok {
		v = a.Value
	}
	if l, ok := v.(Lazy); ok {
		return l()
	}
	return v, nil
}

func list(header string) []string {
	var out []string
	for _, s := range strings.Split(header, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
