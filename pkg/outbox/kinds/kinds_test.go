package kinds_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/pkg/outbox/kinds"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

// Each stream function's FilterCriteria in template.yaml lets through
// exactly the kinds its package declares, and every stream function has
// a declared list.
func TestTemplateStreamFilters(t *testing.T) {
	root, err := tabledef.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Events map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						FilterCriteria struct {
							Filters []struct {
								Pattern string `yaml:"Pattern"`
							} `yaml:"Filters"`
						} `yaml:"FilterCriteria"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{} // function -> kinds its filters let through
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		for name, ev := range res.Properties.Events {
			if ev.Type != "DynamoDB" {
				continue
			}
			filters := ev.Properties.FilterCriteria.Filters
			if len(filters) == 0 {
				t.Errorf("%s: stream event %s has no FilterCriteria", id, name)
			}
			for _, f := range filters {
				var pattern struct {
					DynamoDB struct {
						NewImage struct {
							Kind struct {
								S []string `json:"S"`
							} `json:"kind"`
						} `json:"NewImage"`
					} `json:"dynamodb"`
				}
				if err := json.Unmarshal([]byte(f.Pattern), &pattern); err != nil {
					t.Fatalf("%s: filter pattern: %v", id, err)
				}
				got[id] = append(got[id], pattern.DynamoDB.NewImage.Kind.S...)
			}
		}
	}
	for fn := range got {
		if _, ok := kinds.Functions[fn]; !ok {
			t.Errorf("template.yaml: %s reads the stream but pkg/outbox/kinds declares no kinds for it", fn)
		}
	}
	for fn, want := range kinds.Functions {
		g := slices.Sorted(slices.Values(got[fn]))
		w := slices.Sorted(slices.Values(want))
		if !slices.Equal(g, w) {
			t.Errorf("%s: template.yaml filters kinds %v, the code declares %v", fn, g, w)
		}
	}
}
