package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBlocked(t *testing.T) {
	for _, tc := range []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true}, {"127.255.255.254", true}, {"10.1.2.3", true}, {"172.16.0.1", true},
		{"172.31.255.255", true}, {"192.168.1.1", true}, {"169.254.169.254", true}, {"169.254.1.1", true},
		{"100.64.0.1", true}, {"100.127.255.255", true}, {"0.0.0.0", true}, {"0.1.2.3", true},
		{"224.0.0.1", true}, {"239.255.255.250", true}, {"255.255.255.255", true}, {"240.0.0.1", true},
		{"192.0.2.1", true}, {"198.18.0.1", true},
		{"::", true}, {"::1", true}, {"fe80::1", true}, {"fc00::1", true}, {"fd12:3456::1", true},
		{"fd00:ec2::254", true}, {"ff02::1", true}, {"fec0::1", true}, {"2001:db8::1", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:7f00:1", true}, {"::ffff:10.0.0.1", true}, {"::ffff:169.254.169.254", true},
		{"::127.0.0.1", true}, {"64:ff9b::7f00:1", true}, {"64:ff9b::a00:1", true}, {"2002:7f00:1::1", true},
		{"2002:a9fe:a9fe::", true}, {"fe80::1%eth0", true},
		// Public addresses, including ones carried by mapped, NAT64 and 6to4 forms.
		{"8.8.8.8", false}, {"1.1.1.1", false}, {"100.128.0.1", false}, {"172.32.0.1", false},
		{"2606:4700:4700::1111", false}, {"::ffff:8.8.8.8", false}, {"64:ff9b::808:808", false}, {"2002:808:808::1", false},
	} {
		why, got := Blocked(netip.MustParseAddr(tc.ip))
		if got != tc.blocked {
			t.Errorf("Blocked(%s) = %v (%s), want %v", tc.ip, got, why, tc.blocked)
		}
	}
}

func TestParseEntry(t *testing.T) {
	for in, want := range map[string]string{
		"hooks.internal":      "hooks.internal",
		"Hooks.Internal.":     "hooks.internal",
		"hooks.internal:8443": "hooks.internal:8443",
		"10.0.0.5":            "10.0.0.5",
		"127.0.0.1:9000":      "127.0.0.1:9000",
		"::1":                 "[::1]",
		"[::1]":               "[::1]",
		"[fd00::1]:443":       "[fd00::1]:443",
		"[0:0:0:0:0:0:0:1]":   "[::1]",
		"localhost":           "localhost",
		"svc_name.cluster":    "svc_name.cluster",
	} {
		e, err := ParseEntry(in)
		if err != nil || e.String() != want {
			t.Errorf("ParseEntry(%q) = %q, %v; want %q", in, e.String(), err, want)
		}
	}
	for _, in := range []string{
		"", " ", "hooks.internal:0", "hooks.internal:65536", "hooks.internal:08", "hooks.internal:http",
		"2130706433", "0177.0.0.1", "0x7f.1", "127.1", "127.0.0.1.", "http://hooks.internal", "hooks.internal/path",
		"*.internal", "exa mple.com", "-bad.example", "fe80::1%eth0", "[::1", "bücher.example", "a..b",
		strings.Repeat("a", 64) + ".example",
	} {
		if e, err := ParseEntry(in); err == nil {
			t.Errorf("ParseEntry(%q) = %q, want an error", in, e)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.example.com/escalated":         "https://hooks.example.com/escalated",
		"HTTPS://Hooks.Example.COM/Path?q=1":          "https://hooks.example.com/Path?q=1",
		"http://8.8.8.8:8080/x":                       "http://8.8.8.8:8080/x",
		"http://[2606:4700:4700::1111]/":              "http://[2606:4700:4700::1111]/",
		"https://hooks.example.com./x":                "https://hooks.example.com/x",
		"https://1.2.3.4.example.com/":                "https://1.2.3.4.example.com/",
		"https://hooks.example.com/a%20b":             "https://hooks.example.com/a%20b",
		"https://xn--bcher-kva.example/":              "https://xn--bcher-kva.example/",
		"https://hooks.example.com:443/with/port?x=1": "https://hooks.example.com:443/with/port?x=1",
	} {
		got, err := CheckURL(in, nil)
		if err != nil || got != want {
			t.Errorf("CheckURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	refused := []string{
		"", "hooks.example.com/x", "ftp://hooks.example.com/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)",
		"http:hooks.example.com", "https://user:pass@hooks.example.com/", "https://hooks.example.com/#frag",
		"https://hooks.example.com:0/", "https://hooks.example.com:65536/", "https://hooks.example.com:/",
		"https://hooks example.com/", "https://hooks.example.com/\x00", "https://bücher.example/", "https://%62%C3%BCcher.example/",
		"http://" + strings.Repeat("a", 64) + ".com/", "https://hooks.example.com/" + strings.Repeat("a", MaxURLLength),
		// Internal addresses, in every spelling.
		"http://127.0.0.1/", "http://127.0.0.1:8080/", "http://localhost/", "http://LOCALHOST:80/", "http://localhost./",
		"http://api.localhost/", "http://localhost.localdomain/", "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.0.1/",
		"http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/",
		"http://255.255.255.255/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://0x7f000001/",
		"http://127.1/", "http://127.0.1/", "http://0/", "http://017700000001/", "http://127.000.000.001/",
		"http://0x7F.0.0.1/", "http://127.0.0.1./", "http://%31%32%37.0.0.1/", "http://[::1]/", "http://[::]/",
		"http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[fe80::1]/",
		"http://[fe80::1%25eth0]/", "http://[fc00::1]/", "http://[fd00:ec2::254]/", "http://[64:ff9b::7f00:1]/",
		"http://[::ffff:169.254.169.254]/", "http://[::1/", "http://[hooks.example.com]/",
	}
	for _, in := range refused {
		if got, err := CheckURL(in, nil); err == nil {
			t.Errorf("CheckURL(%q) = %q, want a refusal", in, got)
		}
	}
	allow := ParseAllowList([]string{"127.0.0.1:9000", "localhost", "[::1]:8080", "hooks.internal"})
	for _, in := range []string{"http://127.0.0.1:9000/hook", "http://localhost:1234/", "http://[::1]:8080/", "https://hooks.internal/x", "http://HOOKS.internal:81/"} {
		if _, err := CheckURL(in, allow); err != nil {
			t.Errorf("CheckURL(%q) with the allow-list: %v", in, err)
		}
	}
	// An entry with a port allows that port alone, and the allow-list never lets a
	// non-canonical spelling through.
	for _, in := range []string{"http://127.0.0.1:9001/", "http://127.0.0.1/", "http://[::1]:8081/", "http://2130706433:9000/", "ftp://hooks.internal/"} {
		if _, err := CheckURL(in, allow); err == nil {
			t.Errorf("CheckURL(%q) with the allow-list: accepted", in)
		}
	}
}

// server counts the requests it answers.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) hostPort() string { return strings.TrimPrefix(s.URL, "http://") }

func client(entries ...string) *http.Client {
	list := ParseAllowList(entries)
	return Client(func(context.Context) (AllowList, error) { return list, nil }, 5*time.Second)
}

func post(c *http.Client, target string) (*http.Response, error) {
	res, err := c.Post(target, "application/json", strings.NewReader("{}"))
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

// TestClientChecksTheDialledAddress: whatever the URL says, the address connected to is
// checked, so only the allow-list opens the loopback receiver.
func TestClientChecksTheDialledAddress(t *testing.T) {
	ok := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	_, port, _ := net.SplitHostPort(ok.hostPort())

	if res, err := post(client(ok.hostPort()), ok.URL+"/hook"); err != nil || res.StatusCode != 204 {
		t.Fatalf("allow-listed receiver: %v %v", res, err)
	}
	if res, err := post(client("127.0.0.1"), ok.URL+"/hook"); err != nil || res.StatusCode != 204 {
		t.Fatalf("receiver allow-listed without a port: %v %v", res, err)
	}
	hits := ok.hits.Load()
	for _, target := range []string{
		ok.URL,                                 // not allow-listed
		"http://localhost:" + port,             // a name that resolves to loopback
		"http://2130706433:" + port,            // decimal, read by some resolvers as 127.0.0.1
		"http://0177.0.0.1:" + port,            // octal
		"http://0x7f.1:" + port,                // hex, short form
		"http://127.1:" + port,                 // short form
		"http://[::ffff:127.0.0.1]:" + port,    // IPv4-mapped IPv6
		"http://[::1]:" + port,                 // IPv6 loopback
		"http://0.0.0.0:" + port,               // unspecified: Linux connects it to this machine
		"http://127.0.0.1.nip.invalid:" + port, // a name that does not resolve
	} {
		_, err := post(client("127.0.0.1:1"), target)
		if err == nil {
			t.Errorf("%s: the request went through", target)
			continue
		}
		var refused *RefusedError
		if strings.HasPrefix(target, ok.URL) && !errors.As(err, &refused) {
			t.Errorf("%s: %v, want a RefusedError", target, err)
		}
	}
	if got := ok.hits.Load(); got != hits {
		t.Fatalf("the receiver was reached %d times by refused requests", got-hits)
	}
}

// TestClientDoesNotFollowRedirects: an allowed host that redirects to a blocked one gets
// its 3xx back; nothing reaches the target of the redirect.
func TestClientDoesNotFollowRedirects(t *testing.T) {
	inner := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	outer := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/secret", http.StatusTemporaryRedirect)
	})
	for _, allow := range [][]string{{outer.hostPort()}, {outer.hostPort(), inner.hostPort()}} {
		res, err := post(client(allow...), outer.URL+"/hook")
		if err != nil || res.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("allow %v: %v %v, want the 307 itself", allow, res, err)
		}
	}
	if inner.hits.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestClientReadsTheAllowListEachDial: removing an entry takes effect for new connections.
func TestClientReadsTheAllowListEachDial(t *testing.T) {
	ok := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	var list atomic.Value
	list.Store(ParseAllowList([]string{ok.hostPort()}))
	c := Client(func(context.Context) (AllowList, error) { return list.Load().(AllowList), nil }, 5*time.Second)
	c.Transport.(*http.Transport).DisableKeepAlives = true
	if _, err := post(c, ok.URL); err != nil {
		t.Fatal(err)
	}
	list.Store(AllowList{})
	if _, err := post(c, ok.URL); err == nil {
		t.Fatal("a host taken off the allow-list was still reached")
	}
}
