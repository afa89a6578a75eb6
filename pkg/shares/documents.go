package shares

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/store"
)

type documentBody struct {
	ID             *string `json:"id"`
	Filename       *string `json:"filename"`
	DisplayName    *string `json:"displayName"`
	OrganizationID *string `json:"organizationId"`
	AssetID        *string `json:"assetId"`
	Category       *string `json:"category"`
	Mimetype       *string `json:"mimetype"`
}

// createDocument registers document metadata for the caller's
// organization: 201 with the document and its Location.
func (s *Service) createDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, shareRoles...)
	if err != nil {
		return err
	}
	var b documentBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	now := s.nowMillis()
	d, err := b.document(Document{ID: uuid.NewString(), OrganizationID: p.Organization, CreatedBy: p.Subject, CreatedAt: now, ModifiedAt: now})
	if err != nil {
		return err
	}
	if b.OrganizationID != nil && *b.OrganizationID != p.Organization {
		return fail(CodeNoPermission)
	}
	if err := s.store.PutDocument(r.Context(), d); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return failWith(err, CodeConflict, "field", "id")
		}
		return err
	}
	w.Header().Set("Location", "/v1/documents/"+d.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, d)
}

// document validates the body's fields in order and sets them on d;
// displayName defaults to filename.
func (b documentBody) document(d Document) (Document, error) {
	var err error
	if b.ID != nil {
		if d.ID, err = parseUUID("id", *b.ID); err != nil {
			return d, err
		}
	}
	if b.Filename == nil || !validFilename(*b.Filename) {
		return d, badField("filename")
	}
	d.Filename, d.DisplayName = *b.Filename, *b.Filename
	for _, f := range []struct {
		name  string
		v     *string
		dst   *string
		valid func(string) bool
	}{
		{"displayName", b.DisplayName, &d.DisplayName, func(v string) bool { return validName(v, maxDisplayName) }},
		{"assetId", b.AssetID, &d.AssetID, validAssetID},
		{"category", b.Category, &d.Category, func(v string) bool { return validName(v, maxCategory) }},
		{"mimetype", b.Mimetype, &d.Mimetype, validMimetype},
	} {
		if f.v == nil {
			continue
		}
		if !f.valid(*f.v) {
			return d, badField(f.name)
		}
		*f.dst = *f.v
	}
	return d, nil
}

// getDocument answers a document to the staff of its organization and
// to recipients it is shared with while their access is active.
func (s *Service) getDocument(w http.ResponseWriter, r *http.Request) error {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return fail(CodeUnauthorized)
	}
	id, err := parseUUID("documentId", r.PathValue("documentId"))
	if err != nil {
		return err
	}
	var d Document
	if validOrg(p.Organization) && p.HasRealmRole(staffRoles...) {
		d, err = s.document(r.Context(), p.Organization, id)
	} else {
		d, err = s.sharedDocument(r.Context(), p, id)
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, d)
}

// sharedDocument reads document id for a recipient p: 403 unless it is
// shared with p, p accepted, and the grant is not revoked.
func (s *Service) sharedDocument(ctx context.Context, p auth.Principal, id string) (Document, error) {
	typ, org, err := s.store.Lookup(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Document{}, fail(CodeNotFound)
	case err != nil:
		return Document{}, err
	case typ != EntityDocument:
		return Document{}, fail(CodeUnprocessableEntity, "entityType", typ)
	}
	// A recipient's token names them by their Keycloak user id.
	sub, err := parseUUID("sub", p.Subject)
	if err != nil {
		return Document{}, fail(CodeNoPermission)
	}
	rec, err := s.store.GetRecipient(ctx, org, sub)
	if errors.Is(err, store.ErrNotFound) {
		return Document{}, fail(CodeNoPermission)
	}
	if err != nil {
		return Document{}, err
	}
	g, shared := rec.Grants[id]
	if rec.Status != StatusAccepted || !shared || g.RevokedAt != 0 {
		return Document{}, fail(CodeNoPermission)
	}
	return s.store.GetDocument(ctx, org, id)
}

// document reads a document of org: 404 when the id names nothing, 422
// when it names another kind of entity, 403 when another organization's.
func (s *Service) document(ctx context.Context, org, id string) (Document, error) {
	d, err := s.store.GetDocument(ctx, org, id)
	if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	if err := s.refuse(ctx, org, id, EntityDocument); err != nil {
		return Document{}, err
	}
	// Registered between the two reads.
	d, err = s.store.GetDocument(ctx, org, id)
	if errors.Is(err, store.ErrNotFound) {
		return Document{}, fail(CodeNotFound)
	}
	return d, err
}

// refuse tells why id is not an entity of type want in org: the
// NotFound, UnprocessableEntity or NoPermission error, or nil when the
// registry says it is one after all.
func (s *Service) refuse(ctx context.Context, org, id, want string) error {
	typ, owner, err := s.store.Lookup(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(CodeNotFound)
	case err != nil:
		return err
	case typ != want:
		return fail(CodeUnprocessableEntity, "entityType", typ)
	case owner != org:
		return fail(CodeNoPermission)
	}
	return nil
}
