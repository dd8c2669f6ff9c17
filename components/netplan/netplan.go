// Package netplan plans per-zone subnets inside a VPC CIDR. It is pure (no Pulumi) so that configuration
// validation can reject a layout that does not fit before any resource is registered, and so that the AWS
// and Alibaba Cloud networks carve their VPCs the same way.
package netplan

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"sort"
)

// Tier is one kind of subnet that every zone gets, e.g. private and public.
type Tier struct {
	// Name identifies the tier in the plan and in error messages.
	Name string
	// Prefix is the prefix length of each of the tier's subnets.
	Prefix int
}

// Subnet is one planned subnet.
type Subnet struct {
	Tier string
	Zone int
	CIDR netip.Prefix
}

// Limits of subnet sizes accepted by the clouds.
const (
	// MaxPrefixAWS is the smallest subnet AWS accepts (/28).
	MaxPrefixAWS = 28
	// MaxPrefixAlicloud is the smallest VSwitch Alibaba Cloud accepts (/29).
	MaxPrefixAlicloud = 29
)

// ErrDoesNotFit is returned (wrapped) when the subnets need more addresses than the VPC has.
var ErrDoesNotFit = errors.New("subnets do not fit in the VPC")

// Plan carves zones subnets of every tier out of vpc. Larger subnets are placed first, each aligned to its
// size, so that the plan has no gaps that a later, smaller subnet could not use; the result is ordered tier by
// tier (in the order given), zone by zone. It never returns overlapping subnets or subnets outside vpc.
func Plan(vpc netip.Prefix, zones int, tiers []Tier, maxPrefix int) ([]Subnet, error) {
	if !vpc.IsValid() || !vpc.Addr().Is4() {
		return nil, fmt.Errorf("VPC CIDR %s is not an IPv4 prefix", vpc)
	}
	if vpc.Masked() != vpc {
		return nil, fmt.Errorf("VPC CIDR %s has host bits set; use %s", vpc, vpc.Masked())
	}
	if zones < 1 {
		return nil, fmt.Errorf("zone count %d: need at least one zone", zones)
	}
	if len(tiers) == 0 {
		return nil, errors.New("no subnet tiers to plan")
	}
	type req struct {
		tier, zone, prefix int
	}
	var reqs []req
	for ti, t := range tiers {
		if t.Prefix <= vpc.Bits() || t.Prefix > maxPrefix {
			return nil, fmt.Errorf("%s subnet prefix /%d must be longer than the VPC's /%d and at most /%d",
				t.Name, t.Prefix, vpc.Bits(), maxPrefix)
		}
		for z := range zones {
			reqs = append(reqs, req{ti, z, t.Prefix})
		}
	}
	// Largest first keeps every allocation aligned without holes.
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].prefix < reqs[j].prefix })

	base := ipv4ToUint(vpc.Addr())
	size := uint64(1) << (32 - vpc.Bits())
	var next uint64
	out := make([]Subnet, len(reqs))
	for _, r := range reqs {
		block := uint64(1) << (32 - r.prefix)
		next = (next + block - 1) / block * block
		if next+block > size {
			return nil, fmt.Errorf("%w: %s needs %d address(es) for %d zone(s) of %s, but a %s VPC has %d",
				ErrDoesNotFit, describe(tiers), need(tiers, zones), zones, names(tiers), vpc, size)
		}
		cidr := netip.PrefixFrom(uintToIPv4(base+next), r.prefix)
		out[r.tier*zones+r.zone] = Subnet{Tier: tiers[r.tier].Name, Zone: r.zone, CIDR: cidr}
		next += block
	}
	return out, nil
}

// DefaultPrefixes sizes a large tier (first) and a small tier (second) for zones zones in a VPC of the given
// prefix: the large subnets take the biggest power-of-two share that leaves one share free, and the small ones
// split that free share.
func DefaultPrefixes(vpcBits, zones int) (large, small int) {
	large = vpcBits + ceilLog2(zones+1)
	small = large + max(1, ceilLog2(zones))
	return large, small
}

func ceilLog2(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

func need(tiers []Tier, zones int) uint64 {
	var total uint64
	for _, t := range tiers {
		total += uint64(zones) << (32 - t.Prefix)
	}
	return total
}

func describe(tiers []Tier) string {
	s := ""
	for i, t := range tiers {
		if i > 0 {
			s += " + "
		}
		s += fmt.Sprintf("/%d %s", t.Prefix, t.Name)
	}
	return s
}

func names(tiers []Tier) string {
	if len(tiers) == 1 {
		return tiers[0].Name
	}
	return fmt.Sprintf("%d tiers", len(tiers))
}

func ipv4ToUint(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func uintToIPv4(v uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// CIDRsOf lists the CIDRs of one tier of a plan, zone by zone.
func CIDRsOf(plan []Subnet, tier string) []string {
	var out []string
	for _, s := range plan {
		if s.Tier == tier {
			out = append(out, s.CIDR.String())
		}
	}
	return out
}

// AWSTiers are the subnet tiers of an AWS VPC: a private subnet (nodes and pods) and a public one (load
// balancers, NAT) per zone.
func AWSTiers(privatePrefix, publicPrefix int) []Tier {
	return []Tier{{Name: "private", Prefix: privatePrefix}, {Name: "public", Prefix: publicPrefix}}
}

// AWSDatabaseTier is the tier of database subnets (a managed database's subnet group): placed after the private
// and public tiers, so that adding it to a planned VPC leaves their subnets where they are, provided its prefix
// is no shorter than theirs (DatabasePrefix).
const AWSDatabaseTier = "database"

// DatabasePrefix sizes database subnets: /24 (a managed database needs few addresses), never larger than the
// public subnets so that the existing tiers keep their places, and at most maxPrefix.
func DatabasePrefix(publicPrefix, maxPrefix int) int {
	return min(maxPrefix, max(publicPrefix, 24))
}

// AlicloudTiers are the VSwitch tiers of an Alibaba Cloud VPC: a worker VSwitch per zone and, with Terway
// (podPrefix > 0), a pod VSwitch.
func AlicloudTiers(workerPrefix, podPrefix int) []Tier {
	tiers := []Tier{{Name: "worker", Prefix: workerPrefix}}
	if podPrefix > 0 {
		tiers = append(tiers, Tier{Name: "pod", Prefix: podPrefix})
	}
	return tiers
}
