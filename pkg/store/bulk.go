package store

import (
	"context"
	"fmt"
)

// PutAccessRequests writes requests as they are, in batches, without the
// pending and block markers CreateAccessRequest keeps: for bulk seeding
// (benchmarks, imports), never for requests a sender opens.
func (s *Store) PutAccessRequests(ctx context.Context, tenant string, ars []AccessRequest) error {
	items := make([]any, len(ars))
	for i, a := range ars {
		items[i] = newAccessRequestItem(tenant, a)
	}
	if _, err := s.table.Batch().Write().Put(items...).Run(ctx); err != nil {
		return fmt.Errorf("store: put access requests: %w", err)
	}
	return nil
}
