// Package ui holds the desk's web frontend: the Vue 3 + Inertia sources and their Vite build.
// The build is committed, so `go build` needs no Node; the desk serves it under
// <prefix>/build/ and reads its manifest to link the entry point from the page shell.
package ui

import "embed"

// Dist is the Vite build: dist/.vite/manifest.json and the hashed files it names.
//
//go:embed all:dist
var Dist embed.FS
