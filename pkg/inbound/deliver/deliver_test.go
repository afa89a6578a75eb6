package deliver

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/outbox"
)

// Without EVENT_BUS_NAME (the dev server) events are logged, not sent; a
// payload that is not an event fails for good.
func TestPutEventWithoutBus(t *testing.T) {
	d := &Deliverer{}
	if err := d.PutEvent(t.Context(), outbox.Message{Payload: `{"source":"gatehouse","detailType":"InboundMessageAccepted","detail":{}}`}); err != nil {
		t.Errorf("PutEvent = %v", err)
	}
	if err := d.PutEvent(t.Context(), outbox.Message{Payload: `{`}); !errors.Is(err, outbox.ErrPermanent) {
		t.Errorf("PutEvent(bad) = %v, want ErrPermanent", err)
	}
}
