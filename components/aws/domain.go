package aws

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DomainType is the type token of the Domain component.
const DomainType = "wechat-deploy:aws:Domain"

// DomainArgs configure the app's public name in a Route 53 hosted zone.
type DomainArgs struct {
	// HostedZone is the public Route 53 zone (example.com) holding Domain (api.example.com or example.com).
	HostedZone, Domain string
	// Region is where the load balancer runs (its canonical hosted zone for the alias record).
	Region string
	// Certificate requests an ACM certificate for Domain, validated through a DNS record in the zone.
	Certificate bool
}

// Domain is a host name in a Route 53 zone: an ACM certificate validated by DNS when asked for, and, once the
// load balancer exists, the alias record pointing the name at it.
type Domain struct {
	pulumi.ResourceState

	// CertificateARN is the issued certificate (known only after validation succeeded); empty when none was
	// requested.
	CertificateARN pulumi.StringOutput `pulumi:"certificateArn"`

	ctx    *pulumi.Context
	name   string
	args   DomainArgs
	zoneID string
}

// InZone reports whether host is zone itself or a name under it.
func InZone(host, zone string) bool {
	host, zone = strings.TrimSuffix(strings.ToLower(host), "."), strings.TrimSuffix(strings.ToLower(zone), ".")
	return host == zone || strings.HasSuffix(host, "."+zone)
}

// NewDomain looks the zone up and, when asked, requests and validates the certificate.
func NewDomain(ctx *pulumi.Context, name string, args *DomainArgs, opts ...pulumi.ResourceOption) (*Domain, error) {
	switch {
	case args == nil || args.HostedZone == "" || args.Domain == "" || args.Region == "":
		return nil, fmt.Errorf("creating domain %s: %w: hosted zone, domain and region are required", name, ErrInvalidArgs)
	case !InZone(args.Domain, args.HostedZone):
		return nil, fmt.Errorf("creating domain %s: %w: %s is not in zone %s", name, ErrInvalidArgs, args.Domain, args.HostedZone)
	}
	d := &Domain{ctx: ctx, name: name, args: *args}
	if err := ctx.RegisterComponentResource(DomainType, name, d, opts...); err != nil {
		return nil, fmt.Errorf("registering domain %s: %w", name, err)
	}
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{
		Name: pulumi.StringRef(args.HostedZone), PrivateZone: pulumi.BoolRef(false),
	}, pulumi.Parent(d))
	if err != nil {
		return nil, fmt.Errorf("creating domain %s: looking up public hosted zone %s: %w", name, args.HostedZone, err)
	}
	d.zoneID = zone.ZoneId
	d.CertificateARN = pulumi.String("").ToStringOutput()
	if args.Certificate {
		if d.CertificateARN, err = d.certificate(); err != nil {
			return nil, fmt.Errorf("creating domain %s: %w", name, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"certificateArn": d.CertificateARN}); err != nil {
		return nil, fmt.Errorf("registering outputs of domain %s: %w", name, err)
	}
	return d, nil
}

// certificate requests an RSA-2048 certificate for the domain, writes ACM's validation record into the zone
// and waits until ACM issued it, so that the load balancer is never handed a pending certificate.
func (d *Domain) certificate() (pulumi.StringOutput, error) {
	parent := pulumi.Parent(d)
	cert, err := acm.NewCertificate(d.ctx, d.name+"-cert", &acm.CertificateArgs{
		DomainName:       pulumi.String(d.args.Domain),
		ValidationMethod: pulumi.String("DNS"),
		KeyAlgorithm:     pulumi.String("RSA_2048"),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("certificate: %w", err)
	}
	// One name, one option; an empty list (a certificate not requested with DNS validation) is an error, not
	// a panic.
	option := cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (acm.CertificateDomainValidationOption, error) {
		if len(opts) == 0 {
			return acm.CertificateDomainValidationOption{}, fmt.Errorf("ACM returned no DNS validation record for %s", d.args.Domain)
		}
		return opts[0], nil
	}).(acm.CertificateDomainValidationOptionOutput)
	record, err := route53.NewRecord(d.ctx, d.name+"-cert-validation", &route53.RecordArgs{
		ZoneId:  pulumi.String(d.zoneID),
		Name:    option.ResourceRecordName().Elem(),
		Type:    option.ResourceRecordType().Elem(),
		Records: pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:     pulumi.Int(60),
		// ACM reuses one validation record per name across certificates: a replacement certificate must be
		// able to take it over.
		AllowOverwrite: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("certificate validation record: %w", err)
	}
	validation, err := acm.NewCertificateValidation(d.ctx, d.name+"-cert", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("certificate validation: %w", err)
	}
	return validation.CertificateArn, nil
}

// Alias points the domain at an Application Load Balancer's DNS name with an alias A record (no charge per
// query, follows the load balancer's addresses, health-evaluated).
func (d *Domain) Alias(loadBalancerHost pulumi.StringOutput) error {
	lbZone, err := lb.GetHostedZoneId(d.ctx, &lb.GetHostedZoneIdArgs{
		Region: pulumi.StringRef(d.args.Region), LoadBalancerType: pulumi.StringRef("application"),
	}, pulumi.Parent(d))
	if err != nil {
		return fmt.Errorf("domain %s: load balancer zone of %s: %w", d.name, d.args.Region, err)
	}
	if _, err := route53.NewRecord(d.ctx, d.name+"-alias", &route53.RecordArgs{
		ZoneId: pulumi.String(d.zoneID),
		Name:   pulumi.String(d.args.Domain),
		Type:   pulumi.String("A"),
		Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
			Name: loadBalancerHost, ZoneId: pulumi.String(lbZone.Id), EvaluateTargetHealth: pulumi.Bool(true),
		}},
	}, pulumi.Parent(d)); err != nil {
		return fmt.Errorf("domain %s: alias record: %w", d.name, err)
	}
	return nil
}
