package app

import (
	"slices"
	"strings"
	"testing"
)

func TestParseOrigins(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string // part of the error, "" for none
	}{
		{"", nil, ""},
		{" , ", nil, ""},
		{"https://docs.example.org", []string{"https://docs.example.org"}, ""},
		{"https://docs.example.org, http://127.0.0.1:8080", []string{"https://docs.example.org", "http://127.0.0.1:8080"}, ""},
		{"HTTPS://Docs.Example.ORG", []string{"https://docs.example.org"}, ""},
		{"https://docs.example.org:443,http://a.example:80", []string{"https://docs.example.org", "http://a.example"}, ""},
		{"https://a.example:8443,https://a.example:8443", []string{"https://a.example:8443"}, ""},
		{"http://a.example:08080", []string{"http://a.example:8080"}, ""},
		{"http://[::1]:8080,https://[2001:DB8::1]", []string{"http://[::1]:8080", "https://[2001:db8::1]"}, ""},
		{"https://xn--bcher-kva.example", []string{"https://xn--bcher-kva.example"}, ""},

		{"https://docs.example.org/", nil, "not even a slash"},
		{"https://docs.example.org/guide", nil, "not even a slash"},
		{"https://docs.example.org?x=1", nil, "not even a slash"},
		{"https://docs.example.org?", nil, "not even a slash"},
		{"https://docs.example.org#top", nil, "not even a slash"},
		{"https://docs.example.org#", nil, "not even a slash"},
		{"https://me@docs.example.org", nil, "not even a slash"},
		{"docs.example.org", nil, "scheme://host[:port]"},
		{"//docs.example.org", nil, "only http and https"},
		{"ftp://docs.example.org", nil, "only http and https"},
		{"file:///tmp", nil, "scheme://host[:port]"},
		{"*", nil, "name each parent"},
		{"'self'", nil, "always allowed"},
		{"https://", nil, "scheme://host[:port]"},
		{"https://:8080", nil, "no host"},
		{"https://docs.example.org:", nil, "port is empty"},
		{"https://docs.example.org:0", nil, "between 1 and 65535"},
		{"https://docs.example.org:70000", nil, "between 1 and 65535"},
		{"https://docs.example.org:http", nil, "scheme://host[:port]"},
		{"https://bücher.example", nil, "punycode"},
		{"https://a b.example", nil, "scheme://host[:port]"},
		{"https://[fe80::1%25eth0]", nil, "not an IPv6 address"},
		{"https://ok.example,https://bad.example/", nil, "bad.example/"},
	}
	for _, tt := range tests {
		got, err := ParseOrigins(tt.in)
		if tt.err == "" {
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ParseOrigins(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseOrigins(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
		}
	}
}

func TestAllowedParent(t *testing.T) {
	const self = "https://tools.example.org"
	allowed := []string{"https://docs.example.org", "http://127.0.0.1:8080"}
	tests := []struct {
		origin  string
		allowed []string
		ok      bool
	}{
		{self, nil, true}, // the site's own pages, by default
		{"https://docs.example.org", nil, false},
		{"https://docs.example.org", allowed, true},
		{"http://127.0.0.1:8080", allowed, true},
		{"http://127.0.0.1:8081", allowed, false}, // another port is another origin
		{"http://docs.example.org", allowed, false},
		{"https://evil.example", allowed, false},
		{"null", append(allowed, "null"), false},
		{"", allowed, false},
	}
	for _, tt := range tests {
		if got := AllowedParent(tt.origin, self, tt.allowed); got != tt.ok {
			t.Errorf("AllowedParent(%q, %v) = %v", tt.origin, tt.allowed, got)
		}
	}
}
