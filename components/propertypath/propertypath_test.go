package propertypath

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestGet(t *testing.T) {
	m := resource.PropertyMap{
		"spec": resource.NewObjectProperty(resource.PropertyMap{
			"replicas": resource.NewNumberProperty(3),
			"ports": resource.NewArrayProperty([]resource.PropertyValue{
				resource.NewObjectProperty(resource.PropertyMap{"port": resource.NewNumberProperty(8080)}),
			}),
			"password": resource.MakeSecret(resource.NewStringProperty("s3cret")),
			"later":    resource.NewOutputProperty(resource.Output{Known: false}),
			"known":    resource.NewOutputProperty(resource.Output{Known: true, Element: resource.NewStringProperty("v")}),
			"hidden":   resource.NewOutputProperty(resource.Output{Known: true, Secret: true, Element: resource.NewObjectProperty(resource.PropertyMap{"k": resource.NewStringProperty("x")})}),
		}),
	}
	tests := []struct {
		path         string
		found, known bool
		want         any
		secret       bool
	}{
		{"spec.replicas", true, true, 3.0, false},
		{"spec.ports[0].port", true, true, 8080.0, false},
		{"spec.ports.0.port", true, true, 8080.0, false},
		{"spec.ports[1].port", false, true, nil, false},
		{"spec.password", true, true, "s3cret", true},
		{"spec.known", true, true, "v", false},
		{"spec.hidden.k", true, true, "x", true},
		{"spec.later", false, false, nil, false},
		{"spec.later.deeper", false, false, nil, false},
		{"spec.missing", false, true, nil, false},
		{"spec.replicas.deeper", false, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			v, found, known := Get(m, tt.path)
			if found != tt.found || known != tt.known {
				t.Fatalf("Get(%s) found=%v known=%v, want %v %v", tt.path, found, known, tt.found, tt.known)
			}
			if found && v.V != tt.want {
				t.Errorf("Get(%s) = %v, want %v", tt.path, v.V, tt.want)
			}
			if got := IsSecret(m, tt.path); got != tt.secret {
				t.Errorf("IsSecret(%s) = %v, want %v", tt.path, got, tt.secret)
			}
		})
	}
}
