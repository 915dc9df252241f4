package inertia

import (
	"encoding/json"
	"fmt"
	"html/template"
)

// Assets are the files the shell links for one entry point of a Vite build.
type Assets struct {
	Script   string   // the entry module
	Styles   []string // its stylesheets and those of the chunks it imports
	Preloads []string // the chunks it imports, fetched early as modulepreload
}

// chunk is one entry of a Vite manifest (build.manifest), keyed by its source path.
type chunk struct {
	File    string   `json:"file"`
	IsEntry bool     `json:"isEntry"`
	CSS     []string `json:"css"`
	Imports []string `json:"imports"`
}

// EntryAssets reads a Vite manifest and returns the URLs, under base, of entry's module, the
// chunks it imports (directly or not) and every stylesheet among them.
func EntryAssets(manifest []byte, entry, base string) (Assets, error) {
	var m map[string]chunk
	if err := json.Unmarshal(manifest, &m); err != nil {
		return Assets{}, fmt.Errorf("inertia: read the Vite manifest: %w", err)
	}
	e, ok := m[entry]
	if !ok || e.File == "" {
		return Assets{}, fmt.Errorf("inertia: the Vite manifest has no entry %q", entry)
	}
	a := Assets{Script: base + e.File}
	seenCSS := map[string]bool{}
	addCSS := func(c chunk) {
		for _, css := range c.CSS {
			if !seenCSS[css] {
				seenCSS[css] = true
				a.Styles = append(a.Styles, base+css)
			}
		}
	}
	addCSS(e)
	seen := map[string]bool{entry: true}
	var walk func(keys []string) error
	walk = func(keys []string) error {
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			c, ok := m[k]
			if !ok {
				return fmt.Errorf("inertia: the Vite manifest names %q as an import but has no entry for it", k)
			}
			a.Preloads = append(a.Preloads, base+c.File)
			addCSS(c)
			if err := walk(c.Imports); err != nil {
				return err
			}
		}
		return nil
	}
	return a, walk(e.Imports)
}

// DefaultShell is the HTML page of a first visit: the build's assets in the head, the CSRF
// token in a meta tag for the frontend's fetch calls, and the page object in the root
// element's data-page attribute. It has no inline script, so the Content-Security-Policy can
// forbid them.
func DefaultShell() *template.Template {
	return template.Must(template.New("shell").Parse(defaultShell))
}

const defaultShell = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{{.CSRFToken}}">
<title>Support</title>
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}{{range .Preloads}}<link rel="modulepreload" href="{{.}}">
{{end}}<script type="module" src="{{.Script}}"></script>
</head>
<body>
<div id="app" data-page="{{.Page}}"></div>
</body>
</html>
`
