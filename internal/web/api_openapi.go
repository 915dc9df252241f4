package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// openAPISource describes the REST API v1: every path, parameter, body and answer. The API
// tests check every response they get against it.
//
//go:embed openapi.json
var openAPISource []byte

// openAPIDocument returns the document with its server set to where this desk serves the API,
// since a host may mount the desk under another prefix.
func openAPIDocument(base string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPISource, &doc); err != nil {
		return nil, fmt.Errorf("web: openapi.json: %w", err)
	}
	doc["servers"] = []map[string]string{{"url": base}}
	return json.MarshalIndent(doc, "", "  ")
}
