package tabledef_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

func TestLoadTemplate(t *testing.T) {
	path, err := tabledef.FindTemplate()
	if err != nil {
		t.Fatal(err)
	}
	def, err := tabledef.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	in := def.CreateTableInput("t")
	var got []string
	for _, g := range in.GlobalSecondaryIndexes {
		got = append(got, *g.IndexName)
	}
	if want := "GSI1 GSI2 GSI3 GSI4 GSI5 ExpiryIndex"; strings.Join(got, " ") != want {
		t.Errorf("GSIs = %v, want %s", got, want)
	}
	if in.StreamSpecification == nil || string(in.StreamSpecification.StreamViewType) != "NEW_AND_OLD_IMAGES" {
		t.Errorf("stream = %+v", in.StreamSpecification)
	}
	if def.TimeToLiveSpecification.AttributeName != "expiresAt" || !def.TimeToLiveSpecification.Enabled {
		t.Errorf("TTL = %+v", def.TimeToLiveSpecification)
	}
	if *in.KeySchema[0].AttributeName != "PK" || *in.KeySchema[1].AttributeName != "SK" {
		t.Errorf("key schema = %+v", in.KeySchema)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no table", "Resources: {}\n", "no AWS::DynamoDB::Table"},
		{"wrong type", "Resources:\n  Table:\n    Type: AWS::S3::Bucket\n", "no AWS::DynamoDB::Table"},
		{"no keys", "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties: {BillingMode: PAY_PER_REQUEST}\n", "no KeySchema"},
		{"not yaml", "Resources: [\n", "parse template"},
		{"short tags", "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${AWS::StackName}-t'\n      KeySchema: [{AttributeName: PK, KeyType: HASH}]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tabledef.Parse([]byte(tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want %q", err, tt.want)
			}
		})
	}
}
