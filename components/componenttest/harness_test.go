package componenttest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type testComponent struct{ pulumi.ResourceState }

// TestRunRecordsAndFindsLeaks exercises the harness itself: parents, secrets, orphans and leak detection.
func TestRunRecordsAndFindsLeaks(t *testing.T) {
	res, err := Run(Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		c := &testComponent{}
		if err := ctx.RegisterComponentResource("test:index:C", "c", c); err != nil {
			return err
		}
		var r pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:R", "child", pulumi.Map{
			"plain":  pulumi.String("visible"),
			"secret": pulumi.ToSecret(pulumi.String("s3cr3t-value")),
			"nested": pulumi.Map{"list": pulumi.StringArray{pulumi.String("a"), pulumi.String("b")}},
		}, &r, pulumi.Parent(c), pulumi.Protect(true)); err != nil {
			return err
		}
		var orphan pulumi.CustomResourceState
		return ctx.RegisterResource("test:index:R", "orphan", pulumi.Map{"leak": pulumi.String("x-s3cr3t-value-x")}, &orphan)
	})
	if err != nil {
		t.Fatal(err)
	}
	child, err := res.One("test:index:R", "child")
	if err != nil {
		t.Fatal(err)
	}
	if !child.Protect || child.Str("plain") != "visible" || child.Str("nested.list[1]") != "b" || !child.IsSecret("secret") || child.IsSecret("plain") {
		t.Errorf("child recorded as %+v", child)
	}
	if got := res.Orphans(); len(got) != 1 || got[0] != "test:index:R orphan" {
		t.Errorf("Orphans() = %v", got)
	}
	leaks := res.FindLeaks(map[string]string{"the secret": "s3cr3t-value"}, map[string]Awaited{
		"safe": {Value: "s3cr3t-value", Secret: true}, "unsafe": {Value: "s3cr3t-value"},
	})
	if len(leaks) != 3 {
		t.Errorf("FindLeaks() = %v, want the orphan's input and output and the unsafe export", leaks)
	}
	if lines := res.List(); len(lines) != 3 || lines[0] != "test:index:C c -" {
		t.Errorf("List() = %v", lines)
	}
}
