// Package analyzer serves the rules of policy/rules to the Pulumi engine over its analyzer protocol
// (pulumirpc.AnalyzerServer): the engine launches the pack, reads the port it prints and asks it about every
// resource it registers (Analyze) and about the stack as a whole (AnalyzeStack).
//
// The SDK's policyx server does the same, but it decodes a resource's properties once per policy, about 45 times
// per resource, on every step of every preview and update. This server decodes them once per request and only
// runs the rules that apply to the resource's type. It answers exactly as the policyx pack in
// policy/internal/sdkpack does (the tests compare the two over every committed stack, and over any insecure-corpus
// variant that gets past the configuration to the rules).
package analyzer

import (
	"context"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// PackName and PackVersion identify the pack to the engine.
const (
	PackName    = "wechat-deploy"
	PackVersion = "1.1.0"
)

// ProductionProperty is the policy-config property of a resource rule that applies production checks to any stack
// (--policy-pack-config). false changes nothing: a stack that says or is named production stays production.
const ProductionProperty = "production"

// ProductionSchema is the JSON schema of ProductionProperty in a resource rule's policy config.
var ProductionSchema = map[string]any{
	"type":        "boolean",
	"description": "true applies production rules to any stack; false changes nothing (a stack that says or is named production stays production).",
}

// policyConfig is what Configure set for one policy.
type policyConfig struct {
	level      pulumirpc.EnforcementLevel
	production bool
}

// Server is the pack's analyzer. The zero value is not usable: call New.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer

	all    []rules.Rule
	byType map[string][]int // resource rules by the type tokens they check, in the order of rules.All
	stack  []int            // stack rules

	mu     sync.RWMutex
	cfg    rules.Config
	config map[string]policyConfig
}

// New returns a server for every rule of rules.All, judging a stack named "" until ConfigureStack says otherwise.
func New() *Server {
	s := &Server{all: rules.All(), byType: map[string][]int{}}
	for i, r := range s.all {
		if r.IsStack() {
			s.stack = append(s.stack, i)
			continue
		}
		for _, t := range r.Types {
			s.byType[t] = append(s.byType[t], i)
		}
	}
	return s
}

// description is what the engine shows for a policy, and the head of each of its violations' messages.
func description(r rules.Rule) string { return r.Description + " " + r.Why }

func defaultLevel(r rules.Rule) pulumirpc.EnforcementLevel {
	if r.Level == rules.Advisory {
		return pulumirpc.EnforcementLevel_ADVISORY
	}
	return pulumirpc.EnforcementLevel_MANDATORY
}

// Handshake accepts the engine's address and directories; the rules need neither.
func (s *Server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// GetPluginInfo reports the pack's version.
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: PackVersion}, nil
}

// GetAnalyzerInfo lists every rule as a policy with its enforcement level; resource rules take the production
// property in their policy config.
func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	policies := make([]*pulumirpc.PolicyInfo, 0, len(s.all))
	for _, r := range s.all {
		p := &pulumirpc.PolicyInfo{Name: r.Name, Description: description(r), EnforcementLevel: defaultLevel(r)}
		if !r.IsStack() {
			props, err := structpb.NewStruct(map[string]any{ProductionProperty: ProductionSchema})
			if err != nil {
				return nil, fmt.Errorf("config schema of policy %s: %w", r.Name, err)
			}
			p.ConfigSchema = &pulumirpc.PolicyConfigSchema{Properties: props}
		}
		policies = append(policies, p)
	}
	return &pulumirpc.AnalyzerInfo{Name: PackName, Version: PackVersion, Policies: policies, SupportsConfig: true}, nil
}

// ConfigureStack reads the stack's name and configuration: they decide where production rules apply.
func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	cfg := rules.StackConfig(req.GetStack(), func(key string) (string, bool) {
		v, ok := req.GetConfig()[key]
		return v, ok
	})
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

// Configure takes the policy config (--policy-pack-config, or the engine's defaults): each policy's enforcement
// level, and the production property of resource rules.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	config := make(map[string]policyConfig, len(req.GetPolicyConfig()))
	for name, c := range req.GetPolicyConfig() {
		pc := policyConfig{level: c.GetEnforcementLevel()}
		if v, ok := c.GetProperties().GetFields()[ProductionProperty]; ok {
			if b, ok := v.GetKind().(*structpb.Value_BoolValue); ok {
				pc.production = b.BoolValue
			}
		}
		config[name] = pc
	}
	s.mu.Lock()
	s.config = config
	s.mu.Unlock()
	return &emptypb.Empty{}, nil
}

// policy is the rule's configuration: as Configure set it, or its default level.
func (s *Server) policy(r rules.Rule) policyConfig {
	if c, ok := s.config[r.Name]; ok {
		return c
	}
	return policyConfig{level: defaultLevel(r)}
}

func (s *Server) diagnostic(r rules.Rule, level pulumirpc.EnforcementLevel, urn, message string) *pulumirpc.AnalyzeDiagnostic {
	msg := description(r)
	if message != "" {
		msg += "\n" + message
	}
	return &pulumirpc.AnalyzeDiagnostic{
		PolicyName: r.Name, PolicyPackName: PackName, PolicyPackVersion: PackVersion,
		Description: description(r), Message: msg, EnforcementLevel: level, Urn: urn,
	}
}

// decode reads properties as the rules see them: secrets and unknowns kept (a rule reads through the one and
// cannot judge the other), resource references and output values too.
func decode(props *structpb.Struct, label string) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(props, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true,
	})
}

// Analyze runs the resource rules that check the resource's type, over its properties decoded once.
func (s *Server) Analyze(_ context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.byType[req.GetType()]
	if len(idx) == 0 {
		return &pulumirpc.AnalyzeResponse{}, nil
	}
	props, err := decode(req.GetProperties(), PackName+".analyze")
	if err != nil {
		return nil, fmt.Errorf("decoding the properties of %s: %w", req.GetUrn(), err)
	}
	res := rules.Resource{Type: req.GetType(), Name: req.GetName(), URN: req.GetUrn(), Props: props}
	var ds []*pulumirpc.AnalyzeDiagnostic
	for _, i := range idx {
		r := s.all[i]
		c := s.policy(r)
		if c.level == pulumirpc.EnforcementLevel_DISABLED {
			continue
		}
		cfg := s.cfg
		cfg.Production = cfg.Production || c.production
		for _, msg := range r.Run(res, cfg) {
			ds = append(ds, s.diagnostic(r, c.level, req.GetUrn(), msg))
		}
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: ds}, nil
}

// AnalyzeStack runs the stack rules over every resource of the stack, each decoded once.
func (s *Server) AnalyzeStack(_ context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	resources := make([]rules.Resource, 0, len(req.GetResources()))
	for _, r := range req.GetResources() {
		props, err := decode(r.GetProperties(), PackName+".analyzeStack")
		if err != nil {
			return nil, fmt.Errorf("decoding the properties of %s: %w", r.GetUrn(), err)
		}
		resources = append(resources, rules.Resource{Type: r.GetType(), Name: r.GetName(), URN: r.GetUrn(), Props: props})
	}
	var ds []*pulumirpc.AnalyzeDiagnostic
	for _, i := range s.stack {
		r := s.all[i]
		level := s.policy(r).level
		if level == pulumirpc.EnforcementLevel_DISABLED {
			continue
		}
		for _, v := range rules.Evaluate([]rules.Rule{r}, resources, s.cfg) {
			ds = append(ds, s.diagnostic(r, level, v.URN, v.Message))
		}
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: ds}, nil
}

// Remediate changes nothing: the pack validates, it does not rewrite resources.
func (s *Server) Remediate(context.Context, *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	return &pulumirpc.RemediateResponse{}, nil
}

// Cancel has nothing to stop: every request finishes on its own.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
