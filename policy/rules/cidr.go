package rules

import (
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strings"
)

// Rules about who may reach something judge the address space an allow-list covers, not its spelling:
// 0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0 in two lines. A list is "the internet" when the public addresses it
// covers (overlaps counted once; private, loopback, link-local, CGNAT, documentation, multicast and reserved
// space not counted) reach these sizes:
//
//   - IPv4: 2^24 addresses, a /8. That is the largest block ever assigned to a single organisation; real
//     allow-lists (an office, a VPN, CI egress NAT) are a few /32s to a /22. An allow-list that admits 16.7
//     million strangers is an open door.
//   - IPv6: 2^96 addresses, a /32: the standard allocation of a whole ISP (a site gets a /48, a home a /56).
const (
	internetIPv4Bits = 24
	internetIPv6Bits = 96
)

// nonPublic are the address ranges not reachable from the internet (IANA special-purpose registries), each
// family's list sorted and disjoint.
var nonPublic = map[bool][]netip.Prefix{
	true: prefixes( // IPv4
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // RFC 1918
		"100.64.0.0/10",   // CGNAT, RFC 6598
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local (and the AWS metadata service)
		"172.16.0.0/12",   // RFC 1918
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // TEST-NET-1
		"192.168.0.0/16",  // RFC 1918
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // TEST-NET-2
		"203.0.113.0/24",  // TEST-NET-3
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
	),
	false: prefixes( // IPv6: only global unicast 2000::/3 is public, less its documentation ranges
		"::/3",
		"2001:db8::/32",
		"3fff::/20",
		"4000::/2",
		"8000::/1", // includes ULA fc00::/7, link-local fe80::/10 and multicast ff00::/8
	),
}

func prefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// interval is an inclusive range of addresses as integers.
type interval struct{ lo, hi *big.Int }

func intervalOf(p netip.Prefix) interval {
	p = p.Masked()
	lo := new(big.Int).SetBytes(p.Addr().AsSlice())
	size := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
	return interval{lo: lo, hi: new(big.Int).Sub(new(big.Int).Add(lo, size), big.NewInt(1))}
}

func (iv interval) size() *big.Int {
	return new(big.Int).Add(new(big.Int).Sub(iv.hi, iv.lo), big.NewInt(1))
}

// overlap is the number of addresses two intervals share.
func overlap(a, b interval) *big.Int {
	lo, hi := a.lo, a.hi
	if b.lo.Cmp(lo) > 0 {
		lo = b.lo
	}
	if b.hi.Cmp(hi) < 0 {
		hi = b.hi
	}
	if lo.Cmp(hi) > 0 {
		return new(big.Int)
	}
	return interval{lo: lo, hi: hi}.size()
}

// parseCIDR reads a CIDR or a bare address (a /32 or /128); IPv4-mapped IPv6 (::ffff:0:0/96) counts as the
// IPv4 space it maps.
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// Coverage is what a list of CIDRs opens up.
type Coverage struct {
	// PublicIPv4 and PublicIPv6 count the public addresses covered, overlaps once.
	PublicIPv4, PublicIPv6 *big.Int
	// Unparsed lists the entries that are not CIDRs or addresses.
	Unparsed []string
}

// CoverageOf sums the public addresses the CIDRs cover.
func CoverageOf(cidrs []string) Coverage {
	byFamily := map[bool][]interval{}
	var unparsed []string
	for _, c := range cidrs {
		p, ok := parseCIDR(c)
		if !ok {
			unparsed = append(unparsed, c)
			continue
		}
		byFamily[p.Addr().Is4()] = append(byFamily[p.Addr().Is4()], intervalOf(p))
	}
	cov := Coverage{Unparsed: unparsed}
	for _, v4 := range []bool{true, false} {
		total := new(big.Int)
		for _, iv := range merge(byFamily[v4]) {
			public := iv.size()
			for _, np := range nonPublic[v4] {
				public.Sub(public, overlap(iv, intervalOf(np)))
			}
			total.Add(total, public)
		}
		if v4 {
			cov.PublicIPv4 = total
		} else {
			cov.PublicIPv6 = total
		}
	}
	return cov
}

// merge sorts intervals and joins the overlapping or adjacent ones, so that each address counts once.
func merge(ivs []interval) []interval {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo.Cmp(ivs[j].lo) < 0 })
	var out []interval
	for _, iv := range ivs {
		if n := len(out); n > 0 {
			next := new(big.Int).Add(out[n-1].hi, big.NewInt(1))
			if iv.lo.Cmp(next) <= 0 {
				if iv.hi.Cmp(out[n-1].hi) > 0 {
					out[n-1].hi = iv.hi
				}
				continue
			}
		}
		out = append(out, interval{lo: iv.lo, hi: iv.hi})
	}
	return out
}

// Internet reports whether the coverage reaches the internet thresholds, and says how much it covers.
func (c Coverage) Internet() (string, bool) {
	v4 := c.PublicIPv4.Cmp(new(big.Int).Lsh(big.NewInt(1), internetIPv4Bits)) >= 0
	v6 := c.PublicIPv6.Cmp(new(big.Int).Lsh(big.NewInt(1), internetIPv6Bits)) >= 0
	switch {
	case v4:
		return fmt.Sprintf("at least as many public IPv4 addresses as a /%d (the limit is less than a /8)", 32-(c.PublicIPv4.BitLen()-1)), true
	case v6:
		return fmt.Sprintf("at least as many public IPv6 addresses as a /%d (the limit is less than a /32)", 128-(c.PublicIPv6.BitLen()-1)), true
	}
	return "", false
}

// OpenToInternet reports whether the CIDRs together admit the internet, with a description for messages
// (the CIDRs and how much public space they cover).
func OpenToInternet(cidrs []string) (string, bool) {
	how, open := CoverageOf(cidrs).Internet()
	if !open {
		return "", false
	}
	return strings.Join(cidrs, ", ") + " cover " + how, true
}
