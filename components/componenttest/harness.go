// Package componenttest runs a Pulumi program, or a single component, under Pulumi mocks and records everything it
// registers: type, name, parent, inputs (with which of them are secret), options such as protect and
// ignoreChanges, and the invokes it made. Tests in every package use it to pin the exact inputs a provider would
// receive without running the provider.
package componenttest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Resource is one registered resource as the engine would have received it.
type Resource struct {
	Type, Name, URN string
	// Parent is the parent's URN; the root stack's URN for top-level resources.
	Parent string
	// Custom is false for component resources.
	Custom bool
	// Inputs as sent, secret values wrapped as secrets.
	Inputs resource.PropertyMap
	// Outputs as answered by the mocks.
	Outputs resource.PropertyMap
	ID      string
	// Options that change how the engine treats the resource.
	CustomTimeouts      CustomTimeouts
	Protect             bool
	Provider            string
	Version             string
	IgnoreChanges       []string
	ReplaceOnChanges    []string
	DeleteBeforeReplace bool
	RetainOnDelete      bool
	Dependencies        []string
	AdditionalSecrets   []string
}

// CustomTimeouts are a resource's customTimeouts option, as Go durations ("" when unset).
type CustomTimeouts struct {
	Create, Update, Delete string
}

// IsProvider reports whether the resource is a provider instance.
func (r *Resource) IsProvider() bool { return strings.HasPrefix(r.Type, "pulumi:providers:") }

// Invoke is one recorded provider function call.
type Invoke struct {
	Token string
	Args  resource.PropertyMap
}

// Options configure one mock run.
type Options struct {
	// Project and Stack name the run; config keys are expected under the project's namespace.
	Project, Stack string
	// Config holds fully qualified keys (project:key) and their raw values (JSON for objects).
	Config map[string]string
	// SecretKeys lists the Config keys that are secrets.
	SecretKeys []string
	// Preview runs as `pulumi preview` does: computed outputs stay unknown.
	Preview bool
	// Mocks answers resources and invokes; nil uses Cloud with default settings.
	Mocks Responder
	// Root is the project root the program sees as ctx.RootDirectory().
	Root string
}

// Responder computes what a provider would return. The harness records; the responder answers.
type Responder interface {
	// Outputs returns the ID and output properties of a new resource given its inputs.
	Outputs(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap)
	// Invoke answers a provider function.
	Invoke(token string, args resource.PropertyMap) (resource.PropertyMap, error)
}

// Result is everything one run registered.
type Result struct {
	Resources []Resource
	Invokes   []Invoke
	// Err is the program's error, if any.
	Err error
}

// recorder implements pulumi.MockResourceMonitor; the mock monitor calls it from several goroutines.
type recorder struct {
	responder Responder
	mu        sync.Mutex
	resources []Resource
	invokes   []Invoke
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outputs := r.responder.Outputs(args.TypeToken, args.Name, args.Inputs)
	res := Resource{
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom,
		Inputs: args.Inputs, Outputs: outputs, ID: id, Provider: args.Provider,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		res.Parent = rpc.GetParent()
		res.Protect = rpc.GetProtect()
		res.Version = rpc.GetVersion()
		res.IgnoreChanges = rpc.GetIgnoreChanges()
		res.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		res.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		res.RetainOnDelete = rpc.GetRetainOnDelete()
		res.Dependencies = rpc.GetDependencies()
		res.AdditionalSecrets = rpc.GetAdditionalSecretOutputs()
		if ct := rpc.GetCustomTimeouts(); ct != nil {
			res.CustomTimeouts = CustomTimeouts{Create: ct.GetCreate(), Update: ct.GetUpdate(), Delete: ct.GetDelete()}
		}
	}
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	if !args.Custom && args.ReadRPC == nil { // components have no state; reads (stack references) do
		return "", resource.PropertyMap{}, nil
	}
	return id, outputs, nil
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.invokes = append(r.invokes, Invoke{Token: args.Token, Args: args.Args})
	r.mu.Unlock()
	return r.responder.Invoke(args.Token, args.Args)
}

// Run executes body under mocks and returns what it registered. The returned error is the run's own failure
// (a program error included); Result.Err repeats the program's error for convenience.
func Run(opts Options, body pulumi.RunFunc) (*Result, error) {
	rec := &recorder{responder: opts.Mocks}
	if rec.responder == nil {
		rec.responder = NewCloud(opts.Config)
	}
	err := pulumi.RunErr(body, pulumi.WithMocks(opts.Project, opts.Stack, rec), func(info *pulumi.RunInfo) {
		info.Config = opts.Config
		info.ConfigSecretKeys = opts.SecretKeys
		info.DryRun = opts.Preview
		info.RootDirectory = opts.Root
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res := &Result{Resources: rec.resources, Invokes: rec.invokes, Err: err}
	for i := range res.Resources {
		res.Resources[i].URN = urn(opts, res.Resources[i])
	}
	sort.SliceStable(res.Resources, func(i, j int) bool { return res.Resources[i].URN < res.Resources[j].URN })
	return res, err
}

// urn rebuilds the URN the mock monitor gave the resource (it is not handed to the mocks).
func urn(opts Options, r Resource) string {
	parentType := ""
	if p := resource.URN(r.Parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = string(p.QualifiedType()) + "$"
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s%s::%s", opts.Stack, opts.Project, parentType, r.Type, r.Name)
}

// Find returns the resources of a type token, in URN order.
func (r *Result) Find(typ string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// One returns the single resource of a type with the given name, or fails with a listing of what exists.
func (r *Result) One(typ, name string) (Resource, error) {
	var names []string
	for _, res := range r.Find(typ) {
		if res.Name == name {
			return res, nil
		}
		names = append(names, res.Name)
	}
	return Resource{}, fmt.Errorf("no %s named %q; have %v", typ, name, names)
}

// ByURN returns the resource with the URN.
func (r *Result) ByURN(u string) (Resource, bool) {
	for _, res := range r.Resources {
		if res.URN == u {
			return res, true
		}
	}
	return Resource{}, false
}

// List renders the sorted resource list used by golden files: one "type name parent-type::parent-name" line
// each. Resources are identified by type and name rather than URN so that the list reads well in review.
func (r *Result) List() []string {
	lines := make([]string, 0, len(r.Resources))
	for _, res := range r.Resources {
		parent := "-"
		if p := resource.URN(res.Parent); p != "" && p.QualifiedType() != resource.RootStackType {
			parent = string(p.Type()) + "::" + p.Name()
		}
		lines = append(lines, fmt.Sprintf("%s %s %s", res.Type, res.Name, parent))
	}
	sort.Strings(lines)
	return lines
}

// Orphans returns custom resources registered directly under the stack instead of under a component.
// Provider instances are allowed there, as are components themselves.
func (r *Result) Orphans() []string {
	var out []string
	for _, res := range r.Resources {
		p := resource.URN(res.Parent)
		top := p == "" || p.QualifiedType() == resource.RootStackType
		if top && res.Custom && !res.IsProvider() {
			out = append(out, res.Type+" "+res.Name)
		}
	}
	return out
}

// Awaited is a resolved Output.
type Awaited struct {
	Value  any
	Known  bool
	Secret bool
}

// Await resolves an Output after (or during) a run, telling whether it is known and secret.
func Await(o pulumi.Output) (Awaited, error) {
	res, err := internals.UnsafeAwaitOutput(context.Background(), o)
	return Awaited{Value: res.Value, Known: res.Known, Secret: res.Secret}, err
}

// MustOne is One for tests: it fails the test when the resource is missing.
func (r *Result) MustOne(t testing.TB, typ, name string) Resource {
	t.Helper()
	res, err := r.One(typ, name)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Component runs one component's constructor under mocks and returns what was registered and the component; the
// test fails when the constructor does.
func Component[T any](t testing.TB, opts Options, construct func(ctx *pulumi.Context) (T, error)) (*Result, T) {
	t.Helper()
	var c T
	res, err := Run(opts, func(ctx *pulumi.Context) error {
		var err error
		c, err = construct(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, c
}

// NotNamedAfter lists the resources whose names do not start with the component's name (two instances of a
// component would collide).
func (r *Result) NotNamedAfter(prefix string) []string {
	var out []string
	for _, res := range r.Resources {
		if !strings.HasPrefix(res.Name, prefix) {
			out = append(out, res.Type+" "+res.Name)
		}
	}
	return out
}
