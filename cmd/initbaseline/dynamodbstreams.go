//go:build baseline_dynamodbstreams

package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

func init() {
	extra = append(extra, func(cfg aws.Config) any { return dynamodbstreams.NewFromConfig(cfg) })
}
