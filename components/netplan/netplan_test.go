package netplan

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		vpc     string
		zones   int
		tiers   []Tier
		max     int
		want    []string
		wantErr error
	}{
		{
			name: "two zones in a /16", vpc: "10.0.0.0/16", zones: 2, max: MaxPrefixAWS,
			tiers: []Tier{{"private", 18}, {"public", 19}},
			want:  []string{"10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/19", "10.0.160.0/19"},
		},
		{
			name: "three zones in a /16", vpc: "10.10.0.0/16", zones: 3, max: MaxPrefixAWS,
			tiers: []Tier{{"private", 18}, {"public", 20}},
			want: []string{"10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18",
				"10.10.192.0/20", "10.10.208.0/20", "10.10.224.0/20"},
		},
		{
			name: "small tier listed first is still placed after the large one", vpc: "192.168.0.0/20", zones: 1, max: MaxPrefixAWS,
			tiers: []Tier{{"public", 24}, {"private", 21}},
			want:  []string{"192.168.8.0/24", "192.168.0.0/21"},
		},
		{
			name: "exactly full", vpc: "10.0.0.0/24", zones: 2, max: MaxPrefixAlicloud,
			tiers: []Tier{{"a", 26}, {"b", 26}},
			want:  []string{"10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/26"},
		},
		{
			name: "does not fit", vpc: "10.0.0.0/24", zones: 3, max: MaxPrefixAWS,
			tiers: []Tier{{"private", 25}, {"public", 26}}, wantErr: ErrDoesNotFit,
		},
		{name: "prefix not inside vpc", vpc: "10.0.0.0/24", zones: 1, max: MaxPrefixAWS, tiers: []Tier{{"a", 24}}},
		{name: "prefix below cloud minimum", vpc: "10.0.0.0/24", zones: 1, max: MaxPrefixAWS, tiers: []Tier{{"a", 29}}},
		{name: "host bits", vpc: "10.0.0.1/16", zones: 1, max: MaxPrefixAWS, tiers: []Tier{{"a", 18}}},
		{name: "no zones", vpc: "10.0.0.0/16", zones: 0, max: MaxPrefixAWS, tiers: []Tier{{"a", 18}}},
		{name: "no tiers", vpc: "10.0.0.0/16", zones: 1, max: MaxPrefixAWS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(netip.MustParsePrefix(tt.vpc), tt.zones, tt.tiers, tt.max)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Plan() = %v, want an error", got)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("Plan() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan() error = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Plan() = %v, want %v", got, tt.want)
			}
			for i, s := range got {
				if s.CIDR.String() != tt.want[i] {
					t.Errorf("subnet %d (%s zone %d) = %s, want %s", i, s.Tier, s.Zone, s.CIDR, tt.want[i])
				}
			}
		})
	}
}

// TestPlanInvariants checks every default layout of every VPC size and zone count: subnets are inside the
// VPC, do not overlap, and have the requested sizes.
func TestPlanInvariants(t *testing.T) {
	for bits := 16; bits <= 24; bits++ {
		for zones := 1; zones <= 6; zones++ {
			vpc := netip.PrefixFrom(netip.MustParseAddr("10.20.0.0"), bits).Masked()
			large, small := DefaultPrefixes(bits, zones)
			tiers := []Tier{{"private", large}, {"public", small}}
			got, err := Plan(vpc, zones, tiers, MaxPrefixAWS)
			if small > MaxPrefixAWS {
				if err == nil {
					t.Errorf("/%d with %d zones: planned /%d subnets below the AWS minimum", bits, zones, small)
				}
				continue
			}
			if err != nil {
				t.Fatalf("/%d with %d zones: %v", bits, zones, err)
			}
			if len(got) != 2*zones {
				t.Fatalf("/%d with %d zones: %d subnets", bits, zones, len(got))
			}
			for i, a := range got {
				if !vpc.Contains(a.CIDR.Addr()) || a.CIDR.Bits() < vpc.Bits() {
					t.Errorf("%s outside %s", a.CIDR, vpc)
				}
				for _, b := range got[i+1:] {
					if a.CIDR.Overlaps(b.CIDR) {
						t.Errorf("/%d with %d zones: %s overlaps %s", bits, zones, a.CIDR, b.CIDR)
					}
				}
			}
		}
	}
}

func FuzzPlan(f *testing.F) {
	f.Add(uint32(0x0a000000), 16, 3, 18, 20)
	f.Add(uint32(0xc0a80000), 24, 2, 26, 27)
	f.Fuzz(func(t *testing.T, addr uint32, bits, zones, p1, p2 int) {
		if bits < 0 || bits > 32 || zones > 64 {
			return
		}
		vpc := netip.PrefixFrom(uintToIPv4(uint64(addr)), bits).Masked()
		got, err := Plan(vpc, zones, []Tier{{"a", p1}, {"b", p2}}, 32)
		if err != nil {
			return
		}
		for i, a := range got {
			if !vpc.Contains(a.CIDR.Addr()) || a.CIDR.Bits() < vpc.Bits() {
				t.Fatalf("%s outside %s", a.CIDR, vpc)
			}
			for _, b := range got[i+1:] {
				if a.CIDR.Overlaps(b.CIDR) {
					t.Fatalf("%s overlaps %s", a.CIDR, b.CIDR)
				}
			}
		}
	})
}
