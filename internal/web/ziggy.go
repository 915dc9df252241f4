package web

import (
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The frontend builds URLs with a Ziggy-style route(name, params) (shapes.md §10); the desk
// shares its route table with every page as props.ziggy, in Ziggy's JSON format.

// ziggyRoute is one named route as Ziggy describes it.
type ziggyRoute struct {
	URI        string            `json:"uri"` // without a leading slash, e.g. "support/tickets/{ticket}"
	Methods    []string          `json:"methods"`
	Parameters []string          `json:"parameters"`
	Wheres     map[string]string `json:"wheres,omitempty"`
}

// paramWheres are the formats Ziggy checks a parameter against before it builds a URL: a
// ticket is named by its reference or its id.
var paramWheres = map[string]string{"ticket": `[A-Z0-9]+-[0-9]+|[0-9]+`}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// ziggyTable is the named routes of the table in Ziggy's format. Routes that share a name
// (PUT and PATCH of one update) list their methods together; a GET also lists HEAD, which it
// answers.
func ziggyTable(prefix string, routes []Route) map[string]ziggyRoute {
	out := map[string]ziggyRoute{}
	for _, rt := range routes {
		if rt.Name == "" {
			continue
		}
		zr, seen := out[rt.Name]
		if !seen {
			path := strings.TrimSuffix(strings.ReplaceAll(rt.Path, "{$}", ""), "/")
			path = strings.ReplaceAll(path, "...}", "}")
			zr.URI = strings.TrimPrefix(prefix+path, "/")
			zr.Parameters = []string{}
			for _, m := range pathParam.FindAllStringSubmatch(zr.URI, -1) {
				zr.Parameters = append(zr.Parameters, m[1])
				if where, ok := paramWheres[m[1]]; ok {
					if zr.Wheres == nil {
						zr.Wheres = map[string]string{}
					}
					zr.Wheres[m[1]] = where
				}
			}
		}
		methods := []string{rt.Method}
		if rt.Method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		for _, m := range methods {
			if !slices.Contains(zr.Methods, m) {
				zr.Methods = append(zr.Methods, m)
			}
		}
		out[rt.Name] = zr
	}
	return out
}

// ziggy is props.ziggy: the route table with the origin URLs are built on. The scheme is
// https when the request came over TLS, directly or through a trusted proxy that says so.
func (s *Server) ziggy(r *http.Request) map[string]any {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if peer, ok := parseHop(r.RemoteAddr); ok && isTrusted(peer, s.TrustedProxies) && r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	var port any
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		if n, err := strconv.Atoi(p); err == nil {
			port = n
		}
	}
	return map[string]any{
		"url":      scheme + "://" + r.Host,
		"port":     port,
		"defaults": map[string]any{},
		"routes":   s.ziggyRoutes,
	}
}
