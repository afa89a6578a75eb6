package outbox

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/gatehouse/gatehouse/pkg/store"
)

const pkPrefix = store.OutboxPKPrefix

// HandleStream is the DispatcherFunction handler: it processes a stream
// batch and reports the records to redeliver (ReportBatchItemFailures).
// It never fails the whole batch.
func (d *Dispatcher) HandleStream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	changes := make([]Change, 0, len(ev.Records))
	for _, r := range ev.Records {
		if c, ok := ChangeFromLambda(r); ok {
			changes = append(changes, c)
		}
	}
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, id := range d.Batch(ctx, changes) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
	}
	return resp, nil
}

// ChangeFromLambda reads an outbox change from a Lambda stream record;
// false for records that are not a PENDING outbox item (the event source
// filter lets none through, but a record is checked anyway).
func ChangeFromLambda(r events.DynamoDBEventRecord) (Change, bool) {
	if r.EventName == string(events.DynamoDBOperationTypeRemove) {
		return Change{}, false
	}
	str := func(m map[string]events.DynamoDBAttributeValue, k string) string {
		if v, ok := m[k]; ok && v.DataType() == events.DataTypeString {
			return v.String()
		}
		return ""
	}
	num := func(m map[string]events.DynamoDBAttributeValue, k string) string {
		if v, ok := m[k]; ok && v.DataType() == events.DataTypeNumber {
			return v.Number()
		}
		return ""
	}
	img := r.Change.NewImage
	return change(r.Change.SequenceNumber, str(r.Change.Keys, "PK"), str(img, "status"), num(img, "attempts"), num(img, "nextAttemptAt"), str(img, "kind"))
}

// ChangeFromStream reads an outbox change from a DynamoDB Streams record
// (the dev server's poller).
func ChangeFromStream(r streamtypes.Record) (Change, bool) {
	if r.Dynamodb == nil || r.EventName == streamtypes.OperationTypeRemove {
		return Change{}, false
	}
	str := func(m map[string]streamtypes.AttributeValue, k string) string {
		if v, ok := m[k].(*streamtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	num := func(m map[string]streamtypes.AttributeValue, k string) string {
		if v, ok := m[k].(*streamtypes.AttributeValueMemberN); ok {
			return v.Value
		}
		return ""
	}
	img := r.Dynamodb.NewImage
	seq := ""
	if r.Dynamodb.SequenceNumber != nil {
		seq = *r.Dynamodb.SequenceNumber
	}
	return change(seq, str(r.Dynamodb.Keys, "PK"), str(img, "status"), num(img, "attempts"), num(img, "nextAttemptAt"), str(img, "kind"))
}

func change(seq, pk, status, attempts, next, kind string) (Change, bool) {
	id, ok := strings.CutPrefix(pk, pkPrefix)
	if !ok || id == "" || status == "" {
		return Change{}, false
	}
	c := Change{RecordID: seq, MessageID: id, Status: status, Kind: kind}
	if attempts != "" {
		n, err := strconv.Atoi(attempts)
		if err != nil || n < 0 {
			return Change{}, false
		}
		c.Attempts = n
	}
	if next != "" {
		n, err := strconv.ParseInt(next, 10, 64)
		if err != nil {
			return Change{}, false
		}
		c.NextAttemptAt = n
	}
	return c, c.Status == "PENDING"
}
