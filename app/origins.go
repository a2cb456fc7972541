package app

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// EmbedParentsEnv names the go-app environment variable (in app.js) that
// carries the origins given to `portlens build -embed-parents`, separated
// by spaces: the framing pages, besides the site's own, that the embed
// posts its messages to.
const EmbedParentsEnv = "PORTLENS_EMBED_PARENTS"

// ParseOrigins reads -embed-parents: origins separated by commas, each
// scheme://host[:port] over http or https, with nothing after the port.
// They come back as browsers write origins (lower case, no default port),
// so that they compare equal to location.ancestorOrigins and
// MessageEvent.origin. Duplicates are dropped.
func ParseOrigins(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		o, err := parseOrigin(s)
		if err != nil {
			return nil, err
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out, nil
}

// parseOrigin checks one origin and writes it as a browser would.
func parseOrigin(s string) (string, error) {
	const form = "write scheme://host[:port], e.g. https://docs.example.org or http://127.0.0.1:8080"
	if s == "*" || s == "'self'" || s == "self" {
		return "", fmt.Errorf("%q is not an origin: name each parent's origin (%s); the site's own origin is always allowed", s, form)
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("%q is not an origin: %s", s, form)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not an origin portlens can post to: only http and https pages frame the embed", s)
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(s, "#") {
		return "", fmt.Errorf("%q is not an origin: nothing may follow the host and port, not even a slash (%s://%s)", s, u.Scheme, u.Host)
	}
	host, err := originHost(u.Hostname())
	if err != nil {
		return "", fmt.Errorf("%q is not an origin: %v", s, err)
	}
	port := u.Port()
	if strings.HasSuffix(u.Host, ":") {
		return "", fmt.Errorf("%q is not an origin: the port is empty", s)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%q is not an origin: port %s is not between 1 and 65535", s, port)
		}
		port = strconv.Itoa(n) // "08080" is 8080
		if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
			port = "" // browsers leave the scheme's own port out
		}
	}
	if port != "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return u.Scheme + "://" + host, nil
}

// originHost checks a host name or IP address and writes it in lower
// case, an IPv6 address in brackets. Names must be ASCII (punycode), as
// browsers write them in origins.
func originHost(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("no host")
	}
	if strings.Contains(h, ":") || strings.Contains(h, "%") {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", fmt.Errorf("%s is not an IPv6 address", h)
		}
		return "[" + a.String() + "]", nil
	}
	for _, r := range h {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_'
		if !ok {
			return "", fmt.Errorf("host %q has %q: write an international name in punycode (xn--...)", h, r)
		}
	}
	return strings.ToLower(h), nil
}

// AllowedParent reports whether the embed may post its messages to a
// framing page on origin: a page on the embed's own site (self) always,
// one elsewhere only when `portlens build -embed-parents` named it.
// An opaque origin ("null": a sandboxed frame, a file) never.
func AllowedParent(origin, self string, allowed []string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	if origin == self {
		return true
	}
	for _, a := range allowed {
		if origin == a {
			return true
		}
	}
	return false
}
