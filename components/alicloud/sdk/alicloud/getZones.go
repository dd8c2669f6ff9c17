package alicloud

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// GetZonesArgs filter the zones.
type GetZonesArgs struct {
	AvailableResourceCreation *string `pulumi:"availableResourceCreation"`
	Multi                     *bool   `pulumi:"multi"`
}

// GetZonesZone is one zone.
type GetZonesZone struct {
	Id string `pulumi:"id"`
}

// GetZonesResult lists the zones.
type GetZonesResult struct {
	Id    string         `pulumi:"id"`
	Ids   []string       `pulumi:"ids"`
	Zones []GetZonesZone `pulumi:"zones"`
}

// GetZones lists the zones of the provider's region that can create the given resource.
func GetZones(ctx *pulumi.Context, args *GetZonesArgs, opts ...pulumi.InvokeOption) (*GetZonesResult, error) {
	var rv GetZonesResult
	if err := ctx.Invoke("alicloud:index/getZones:getZones", args, &rv, internal.InvokeOpts(opts)...); err != nil {
		return nil, err
	}
	return &rv, nil
}
