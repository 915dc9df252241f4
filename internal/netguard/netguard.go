// Package netguard keeps the desk's outgoing requests (webhook deliveries) away from the
// network the desk runs in: loopback, private and link-local ranges, the cloud metadata
// service and every other address that is not a public host. An admin allow-list names the
// internal hosts that may be reached all the same.
//
// A URL is checked twice. When it is saved, CheckURL refuses what can be told from the text:
// a scheme other than http(s), credentials, an internal IP literal, a numeric host in any
// spelling but the canonical one (2130706433, 0177.0.0.1, 0x7f.1 — resolvers read such hosts
// differently, some as 127.0.0.1) and localhost names. When it is dialled, the dialer's
// Control function checks the address actually connected to, after DNS, so a name that
// resolves (or later re-resolves) to an internal address is refused as well. Redirects are
// not followed: a 3xx is the answer.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// MaxURLLength is the longest URL accepted.
const MaxURLLength = 2048

// blocked is every range no outgoing request may reach unless allow-listed, with the reason
// shown to the admin. IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address
// they carry (see Blocked).
var blocked = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified (this-network) address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.169.254/32"), "the cloud metadata address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "the cloud metadata address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique-local (private) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToIP = netip.MustParsePrefix("2002::/16")
)

// Blocked reports whether ip is an address outgoing requests may not reach, and why. An
// IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d,
// 6to4 2002:aabb:ccdd::) is judged by that IPv4 address.
func Blocked(ip netip.Addr) (string, bool) {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			ip = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToIP.Contains(ip):
			ip = netip.AddrFrom4([4]byte(b[2:6]))
		}
	}
	if !ip.IsValid() {
		return "not an IP address", true
	}
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return b.why, true
		}
	}
	return "", false
}

// Entry is one allow-list entry: a host, and a port or "" for every port.
type Entry struct {
	Host string // a lower-case name, or an IP address in its canonical form
	Port string
}

// String renders the entry as it is stored: host or host:port, IPv6 in brackets.
func (e Entry) String() string {
	h := e.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if e.Port == "" {
		return h
	}
	return h + ":" + e.Port
}

// ParseEntry reads an allow-list entry: a host name or IP address, optionally with a port
// ("hooks.internal", "10.0.0.5:8443", "[fd00::1]:443", "::1").
func ParseEntry(s string) (Entry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Entry{}, errors.New("is empty")
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return ipEntry(ip, "")
	}
	host, port := s, ""
	if inner, ok := strings.CutPrefix(s, "["); ok && strings.HasSuffix(s, "]") {
		host = strings.TrimSuffix(inner, "]")
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if port, err = checkPort(p); err != nil {
			return Entry{}, err
		}
	} else if strings.Contains(s, ":") {
		return Entry{}, errors.New("is not a host name, an IP address or either with :port")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ipEntry(ip, port)
	}
	name, err := hostName(host)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Host: name, Port: port}, nil
}

func ipEntry(ip netip.Addr, port string) (Entry, error) {
	if ip.Zone() != "" {
		return Entry{}, errors.New("may not carry an IPv6 zone")
	}
	return Entry{Host: ip.String(), Port: port}, nil
}

func checkPort(p string) (string, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
		return "", errors.New("has a port that is not a number from 1 to 65535")
	}
	return p, nil
}

// hostName checks a DNS name and returns it in lower case without a trailing dot. A name
// whose last label is a number is a numeric host in a non-canonical spelling (127.1,
// 2130706433, 0x7f.1): the URL standard reads such a host as an IPv4 address and resolvers
// disagree on it, so it is refused rather than guessed at.
func hostName(h string) (string, error) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", errors.New("is not a valid host name")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", errors.New("is not a valid host name")
		}
		for _, r := range l {
			if r > unicode.MaxASCII {
				return "", errors.New("is not an ASCII host name; use its xn-- (punycode) form")
			}
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", errors.New("is not a valid host name")
			}
		}
	}
	if numeric(labels[len(labels)-1]) {
		return "", errors.New("is a numeric host that is not a canonical IP address (write IPv4 as four decimal numbers, e.g. 203.0.113.7)")
	}
	return h, nil
}

// numeric reports whether a label is a number in the URL standard's sense: decimal digits,
// or 0x followed by hex digits (octal is a decimal-looking label with a leading 0).
func numeric(label string) bool {
	digits := label
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		digits = rest
		if digits == "" {
			return true
		}
		for _, r := range digits {
			if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
				return false
			}
		}
		return true
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// AllowList is the parsed allow-list. Entries that do not parse are ignored; the settings
// store refuses them when they are saved.
type AllowList []Entry

// ParseAllowList reads stored entries.
func ParseAllowList(entries []string) AllowList {
	out := make(AllowList, 0, len(entries))
	for _, s := range entries {
		if e, err := ParseEntry(s); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// Allows reports whether host:port is named by the list: by an entry for the host without a
// port, or for the host with that port. host is as in a URL or a dial address.
func (l AllowList) Allows(host, port string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	}
	for _, e := range l {
		if e.Host == host && (e.Port == "" || e.Port == port) {
			return true
		}
	}
	return false
}

// CheckURL checks a URL before it is saved and returns it normalised (host in lower case).
// The error's message is fit for the admin.
func CheckURL(raw string, allow AllowList) (string, error) {
	if raw == "" {
		return "", errors.New("The url field is required.")
	}
	if len(raw) > MaxURLLength {
		return "", fmt.Errorf("The url may not be longer than %d characters.", MaxURLLength)
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r > unicode.MaxASCII {
			return "", errors.New("The url may not contain spaces, control or non-ASCII characters; percent-encode them.")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("The url is not a valid URL.")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("The url must start with http:// or https://.")
	case u.Opaque != "" || u.Host == "":
		return "", errors.New("The url must name a host, as in https://hooks.example.com/escalated.")
	case u.User != nil:
		return "", errors.New("The url may not carry a user name or password; the signature authenticates the desk.")
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return "", errors.New("The url may not have a #fragment; it is never sent.")
	}
	port := u.Port()
	if port != "" {
		if _, err := checkPort(port); err != nil {
			return "", errors.New("The url's port must be a number from 1 to 65535.")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", errors.New("The url's port must be a number from 1 to 65535.")
	}
	host := u.Hostname()
	ip, ipErr := netip.ParseAddr(host)
	if ipErr != nil && strings.HasPrefix(u.Host, "[") {
		return "", errors.New("The url's host is not a valid IPv6 address.")
	}
	if ipErr == nil {
		if ip.Zone() != "" {
			return "", errors.New("The url's IPv6 host may not carry a zone.")
		}
		host = ip.String()
	} else {
		name, err := hostName(host)
		if err != nil {
			return "", fmt.Errorf("The url's host %s.", err.Error())
		}
		host = name
	}
	effective := port
	if effective == "" {
		effective = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if !allow.Allows(host, effective) {
		if ipErr == nil {
			if why, bad := Blocked(ip); bad {
				return "", fmt.Errorf("The url points at %s; only public hosts may be reached unless webhook_allowed_hosts names the host.", why)
			}
		} else if host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "localhost.localdomain" {
			return "", errors.New("The url points at this machine (localhost); only public hosts may be reached unless webhook_allowed_hosts names the host.")
		}
	}
	if ipErr == nil && ip.Is6() {
		host = "[" + host + "]"
	}
	u.Host = host
	if port != "" {
		u.Host += ":" + port
	}
	return u.String(), nil
}

// RefusedError is a dial the guard refused.
type RefusedError struct {
	Addr string
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: it is %s (add the host to webhook_allowed_hosts to allow it)", e.Addr, e.Why)
}

// Client returns an HTTP client whose every connection is checked: allow reports the
// allow-list in force when a connection is made (the admin may change it at any time), and
// a host it does not name may only be reached at public addresses. Redirects are returned,
// not followed, and no proxy is used (a proxy would make the dialled address the proxy's).
func Client(allow func(context.Context) (AllowList, error), timeout time.Duration) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("netguard: %w", err)
		}
		list, err := allow(ctx)
		if err != nil {
			return nil, fmt.Errorf("netguard: read the allow-list: %w", err)
		}
		d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		if !list.Allows(host, port) {
			d.Control = refuseBlocked
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         dial,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refuseBlocked is the dialer's Control function: it runs for each address the dialer is
// about to connect to, after name resolution, and refuses the blocked ones.
func refuseBlocked(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Addr: address, Why: "not an IP address"}
	}
	if why, bad := Blocked(ap.Addr()); bad {
		return &RefusedError{Addr: address, Why: why}
	}
	return nil
}
