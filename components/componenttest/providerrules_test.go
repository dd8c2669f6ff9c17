package componenttest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// TestExactlyOneOfPerListElement: paths inside one list are a rule for each element (Terraform checks each
// route of a route table), so a table without routes passes and every route must name exactly one target.
func TestExactlyOneOfPerListElement(t *testing.T) {
	rule := ProviderRule{Type: "aws:ec2/routeTable:RouteTable", Kind: "exactlyOneOf", Path: "routes[*].gatewayId,routes[*].natGatewayId", Arg: "-"}
	if err := rule.compile(); err != nil {
		t.Fatal(err)
	}
	route := func(targets ...string) resource.PropertyValue {
		m := resource.PropertyMap{"cidrBlock": resource.NewStringProperty("0.0.0.0/0")}
		for _, k := range targets {
			m[resource.PropertyKey(k)] = resource.NewStringProperty(k + "-1")
		}
		return resource.NewObjectProperty(m)
	}
	for name, tc := range map[string]struct {
		routes []resource.PropertyValue
		want   int
	}{
		"no routes":                 {nil, 0},
		"one target each":           {[]resource.PropertyValue{route("gatewayId"), route("natGatewayId")}, 0},
		"a route with two targets":  {[]resource.PropertyValue{route("gatewayId"), route("gatewayId", "natGatewayId")}, 1},
		"a route with none":         {[]resource.PropertyValue{route()}, 1},
		"two routes with no target": {[]resource.PropertyValue{route(), route()}, 2},
	} {
		inputs := resource.PropertyMap{"vpcId": resource.NewStringProperty("vpc-1")}
		if tc.routes != nil {
			inputs["routes"] = resource.NewArrayProperty(tc.routes)
		}
		if got := rule.Check(inputs); len(got) != tc.want {
			t.Errorf("%s: %d violations %v, want %d", name, len(got), got, tc.want)
		}
	}
	// Paths in different places stay one rule over the resource.
	plain := ProviderRule{Kind: "exactlyOneOf", Path: "name,namePrefix", Arg: "-"}
	if got := plain.Check(resource.PropertyMap{}); len(got) != 1 {
		t.Errorf("neither name nor prefix: %v", got)
	}
}
