package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/guregu/dynamo/v2"
)

// Poller feeds a table's stream to a Dispatcher outside Lambda: the dev
// server runs it against DynamoDB Local, and so do the tests. It reads
// every shard from its oldest record (nothing written before start-up is
// missed; stale records claim nothing) and retries changes the
// dispatcher could not finish, as the event source mapping would.
type Poller struct {
	Streams    *dynamodbstreams.Client
	Table      dynamo.Table
	Dispatcher *Dispatcher
	Logger     *slog.Logger
	Interval   time.Duration // between GetRecords rounds; default 200 ms
	// Retries bounds redeliveries of one change (the event source
	// mapping's MaximumRetryAttempts); default 10.
	Retries int
}

// Run polls until ctx is done, then waits for in-flight changes.
func (p *Poller) Run(ctx context.Context) error {
	p.setDefaults()
	desc, err := p.Table.Describe().Run(ctx)
	if err != nil {
		return fmt.Errorf("outbox: describe table: %w", err)
	}
	if desc.LatestStreamARN == "" {
		return errors.New("outbox: the table has no stream")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	iters := map[string]*string{} // shard id → next iterator; nil once the shard is closed
	lastDescribe := time.Time{}
	for {
		if time.Since(lastDescribe) > 2*time.Second {
			if err := p.discover(ctx, desc.LatestStreamARN, iters); err != nil && ctx.Err() == nil {
				p.Logger.Warn("outbox poller: describe stream", "err", err)
			}
			lastDescribe = time.Now()
		}
		if stopped := p.poll(ctx, iters, &wg); stopped {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(p.Interval):
		}
	}
}

func (p *Poller) setDefaults() {
	if p.Interval == 0 {
		p.Interval = 200 * time.Millisecond
	}
	if p.Retries == 0 {
		p.Retries = 10
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
}

// poll reads one round of records from each open shard and processes
// their changes in the background (tracked by wg); stopped when ctx ended
// a read.
func (p *Poller) poll(ctx context.Context, iters map[string]*string, wg *sync.WaitGroup) (stopped bool) {
	for shard, it := range iters {
		if it == nil {
			continue
		}
		out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(100)})
		if err != nil {
			if ctx.Err() != nil {
				return true
			}
			p.Logger.Warn("outbox poller: get records", "shard", shard, "err", err)
			delete(iters, shard) // rediscovered from its oldest record
			continue
		}
		iters[shard] = out.NextShardIterator
		for _, r := range out.Records {
			c, ok := ChangeFromStream(r)
			if !ok {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.process(ctx, c)
			}()
		}
	}
	return false
}

// process runs one change, redelivering it like the event source mapping.
func (p *Poller) process(ctx context.Context, c Change) {
	for try := 0; try <= p.Retries; try++ {
		err := p.Dispatcher.Process(ctx, c)
		if err == nil || ctx.Err() != nil {
			return
		}
		p.Logger.Warn("outbox poller: change will be redelivered", "outboxId", c.MessageID, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	p.Logger.Error("outbox poller: change dropped after retries", "outboxId", c.MessageID)
}

// discover adds shards not seen yet, read from their oldest record.
func (p *Poller) discover(ctx context.Context, arn string, iters map[string]*string) error {
	var start *string
	for {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return err
		}
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, seen := iters[id]; seen {
				continue
			}
			it, err := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return err
			}
			iters[id] = it.ShardIterator
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}
