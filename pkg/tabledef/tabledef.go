// Package tabledef reads the DynamoDB table definition out of template.yaml
// so the local stack and the tests create exactly the table SAM deploys.
package tabledef

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

// LogicalID is the table's resource name in template.yaml.
const LogicalID = "Table"

// Definition is the subset of AWS::DynamoDB::Table properties the local
// stack needs.
type Definition struct {
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema              []keyElement `yaml:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string       `yaml:"IndexName"`
		KeySchema  []keyElement `yaml:"KeySchema"`
		Projection struct {
			ProjectionType string `yaml:"ProjectionType"`
		} `yaml:"Projection"`
	} `yaml:"GlobalSecondaryIndexes"`
	TimeToLiveSpecification struct {
		AttributeName string `yaml:"AttributeName"`
		Enabled       bool   `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
	StreamSpecification struct {
		StreamViewType string `yaml:"StreamViewType"`
	} `yaml:"StreamSpecification"`
}

type keyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// FindTemplate walks up from the working directory to the template.yaml
// beside go.mod.
func FindTemplate() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "template.yaml")
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("tabledef: template.yaml not found above the working directory")
		}
		dir = parent
	}
}

// RepoRoot is the directory holding template.yaml and go.mod.
func RepoRoot() (string, error) {
	tpl, err := FindTemplate()
	if err != nil {
		return "", err
	}
	return filepath.Dir(tpl), nil
}

// Load parses the table resource of the template at path.
func Load(path string) (*Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tabledef: %w", err)
	}
	return Parse(data)
}

// Parse parses the table resource out of template bytes. CloudFormation
// short-form tags (!Ref, !Sub...) are accepted and ignored.
func Parse(data []byte) (*Definition, error) {
	var doc struct {
		Resources map[string]struct {
			Type       string    `yaml:"Type"`
			Properties yaml.Node `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("tabledef: parse template: %w", err)
	}
	res, ok := doc.Resources[LogicalID]
	if !ok || res.Type != "AWS::DynamoDB::Table" {
		return nil, fmt.Errorf("tabledef: no AWS::DynamoDB::Table named %q", LogicalID)
	}
	var def Definition
	if err := res.Properties.Decode(&def); err != nil {
		return nil, fmt.Errorf("tabledef: decode table properties: %w", err)
	}
	if len(def.KeySchema) == 0 {
		return nil, errors.New("tabledef: table has no KeySchema")
	}
	return &def, nil
}

// CreateTableInput turns the definition into a CreateTable call for name.
func (d *Definition) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddbtypes.BillingModePayPerRequest,
	}
	for _, a := range d.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	in.KeySchema = keySchema(d.KeySchema)
	for _, g := range d.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(g.IndexName),
			KeySchema:  keySchema(g.KeySchema),
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection.ProjectionType)},
		})
	}
	if d.StreamSpecification.StreamViewType != "" {
		in.StreamSpecification = &ddbtypes.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: ddbtypes.StreamViewType(d.StreamSpecification.StreamViewType),
		}
	}
	return in
}

func keySchema(ks []keyElement) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
	}
	return out
}

// Creator is the part of the DynamoDB client table creation needs.
type Creator interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// Ensure creates the table when it does not exist, waits for it and turns
// on TTL. It returns whether the table was created.
func (d *Definition) Ensure(ctx context.Context, c Creator, name string) (bool, error) {
	if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err == nil {
		return false, nil
	} else {
		var nf *ddbtypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			return false, fmt.Errorf("tabledef: describe %s: %w", name, err)
		}
	}
	if _, err := c.CreateTable(ctx, d.CreateTableInput(name)); err != nil {
		var inUse *ddbtypes.ResourceInUseException
		if errors.As(err, &inUse) {
			return false, nil
		}
		return false, fmt.Errorf("tabledef: create %s: %w", name, err)
	}
	for i := 0; ; i++ {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err == nil && out.Table.TableStatus == ddbtypes.TableStatusActive {
			break
		}
		if i > 100 {
			return true, fmt.Errorf("tabledef: %s did not become active", name)
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if ttl := d.TimeToLiveSpecification; ttl.Enabled && ttl.AttributeName != "" {
		_, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(ttl.AttributeName), Enabled: aws.Bool(true)},
		})
		if err != nil {
			return true, fmt.Errorf("tabledef: ttl on %s: %w", name, err)
		}
	}
	return true, nil
}
