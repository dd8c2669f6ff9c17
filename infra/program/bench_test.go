package program

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// BenchmarkProgram measures one whole-program run under mocks (config load, every component, every resource
// registered and answered) for a stack of each cloud.
func BenchmarkProgram(b *testing.B) {
	for _, stack := range []string{"prod", "prod-cn", "local"} {
		b.Run(stack, func(b *testing.B) {
			opts, err := componenttest.StackOptions(root, stack, fakeSecrets(b))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := componenttest.Run(opts, func(ctx *pulumi.Context) error {
					_, err := testProgram(nil).Deploy(ctx)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(res.Resources)), "resources")
			}
		})
	}
}
