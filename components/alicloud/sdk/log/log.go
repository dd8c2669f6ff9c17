// Package log mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/log (Simple Log Service) for the
// resources wechat-deploy uses.
package log

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// Project is a Simple Log Service project (alicloud:log/project:Project).
type Project struct {
	pulumi.CustomResourceState

	ProjectName pulumi.StringOutput `pulumi:"projectName"`
}

type projectArgs struct {
	Description *string           `pulumi:"description"`
	ProjectName *string           `pulumi:"projectName"`
	Tags        map[string]string `pulumi:"tags"`
}

// ProjectArgs configure a log project.
type ProjectArgs struct {
	Description pulumi.StringPtrInput
	ProjectName pulumi.StringPtrInput
	Tags        pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (ProjectArgs) ElementType() reflect.Type { return reflect.TypeOf((*projectArgs)(nil)).Elem() }

// NewProject registers a log project.
func NewProject(ctx *pulumi.Context, name string, args *ProjectArgs, opts ...pulumi.ResourceOption) (*Project, error) {
	return internal.Register[Project](ctx, "alicloud:log/project:Project", name, args, opts)
}

// Store is a logstore in a project (alicloud:log/store:Store).
type Store struct {
	pulumi.CustomResourceState

	LogstoreName pulumi.StringOutput `pulumi:"logstoreName"`
	ProjectName  pulumi.StringOutput `pulumi:"projectName"`
}

type storeArgs struct {
	ProjectName        *string `pulumi:"projectName"`
	LogstoreName       *string `pulumi:"logstoreName"`
	RetentionPeriod    *int    `pulumi:"retentionPeriod"`
	ShardCount         *int    `pulumi:"shardCount"`
	AutoSplit          *bool   `pulumi:"autoSplit"`
	MaxSplitShardCount *int    `pulumi:"maxSplitShardCount"`
}

// StoreArgs configure a logstore.
type StoreArgs struct {
	ProjectName     pulumi.StringPtrInput
	LogstoreName    pulumi.StringPtrInput
	RetentionPeriod pulumi.IntPtrInput
	ShardCount      pulumi.IntPtrInput
	AutoSplit       pulumi.BoolPtrInput
	// MaxSplitShardCount bounds automatic splitting (0-256).
	MaxSplitShardCount pulumi.IntPtrInput
}

// ElementType implements pulumi.Input.
func (StoreArgs) ElementType() reflect.Type { return reflect.TypeOf((*storeArgs)(nil)).Elem() }

// NewStore registers a logstore.
func NewStore(ctx *pulumi.Context, name string, args *StoreArgs, opts ...pulumi.ResourceOption) (*Store, error) {
	return internal.Register[Store](ctx, "alicloud:log/store:Store", name, args, opts)
}
