//go:build baseline_eventbridge

package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

func init() {
	extra = append(extra, func(cfg aws.Config) any { return eventbridge.NewFromConfig(cfg) })
}
