package shares

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// documentForm is a multipart document body; nil fields were absent.
type documentForm struct {
	DisplayName      *string
	OrganizationID   *string
	Category         *string
	Languages        []string
	hasLanguages     bool
	SupplierDocument *bool
	SupplierName     *string
	File             *upload
}

// upload is the file part of a documentForm.
type upload struct {
	Filename, Mimetype, SHA256 string
	Data                       []byte
}

// formField is a text part's name without the "[]" array suffix.
func formField(name string) string { return strings.TrimSuffix(name, "[]") }

// maxFormValue bounds a text part.
const maxFormValue = 4096

// readDocumentForm reads a multipart body of the documented fields,
// refusing any other part. allowOrg says whether organizationId may appear.
func readDocumentForm(r *http.Request, allowOrg bool) (documentForm, error) {
	var f documentForm
	mr, err := r.MultipartReader()
	if err != nil {
		return f, failWith(err, CodeBadRequest)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, failWith(err, CodeBadRequest)
		}
		name := formField(part.FormName())
		if name == "file" {
			if f.File != nil {
				return f, badField("file")
			}
			if f.File, err = readUpload(part.FileName(), part.Header.Get("Content-Type"), part); err != nil {
				return f, err
			}
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(part, maxFormValue+1))
		if err != nil {
			return f, failWith(err, CodeBadRequest)
		}
		if len(raw) > maxFormValue {
			return f, badField(name)
		}
		v := string(raw)
		switch name {
		case "displayname":
			if !validName(v, maxDisplayName) {
				return f, badField(name)
			}
			f.DisplayName = &v
		case "organizationId":
			if !allowOrg || !validOrg(v) {
				return f, badField(name)
			}
			f.OrganizationID = &v
		case "categoryId":
			if !validToken(v, maxCategory, "._-") {
				return f, badField(name)
			}
			f.Category = &v
		case "languageCodes":
			f.hasLanguages = true
			for _, code := range strings.Split(v, ",") {
				code = strings.TrimSpace(code)
				if code == "" {
					continue
				}
				if !validLanguageCode(code) {
					return f, badField(name)
				}
				if !slices.Contains(f.Languages, code) {
					f.Languages = append(f.Languages, code)
				}
			}
		case "supplierDocument":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, badField(name)
			}
			f.SupplierDocument = &b
		case "supplierName":
			if !validName(v, maxSupplier) {
				return f, badField(name)
			}
			f.SupplierName = &v
		default:
			return f, badField(name)
		}
	}
	return f, nil
}

// readUpload reads the file part; its media type is the part's unless
// that says nothing (absent, application/octet-stream), then sniffed.
func readUpload(filename, contentType string, r io.Reader) (*upload, error) {
	if !validFilename(filename) {
		return nil, badField("file")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err // an oversize body: the renderer answers 400
	}
	if len(data) == 0 {
		return nil, badField("file")
	}
	mt, _, perr := mime.ParseMediaType(contentType)
	if perr != nil || mt == "application/octet-stream" || !validMimetype(mt) {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	sum := sha256.Sum256(data)
	return &upload{Filename: filename, Mimetype: mt, SHA256: hex.EncodeToString(sum[:]), Data: data}, nil
}

// apply sets the form's fields on d and checks the supplier rule.
func (f documentForm) apply(d Document) (Document, error) {
	if f.DisplayName != nil {
		d.DisplayName = *f.DisplayName
	}
	if f.Category != nil {
		d.Category = *f.Category
	}
	if f.hasLanguages {
		d.Languages = f.Languages
	}
	if f.SupplierDocument != nil {
		d.SupplierDocument = *f.SupplierDocument
	}
	if f.SupplierName != nil {
		d.SupplierName = *f.SupplierName
	}
	if d.SupplierDocument && d.SupplierName == "" {
		return d, badField("supplierName")
	}
	if f.File != nil {
		d.Filename, d.Mimetype, d.SHA256, d.Size = f.File.Filename, f.File.Mimetype, f.File.SHA256, int64(len(f.File.Data))
		d.Key = documentKey(d.OrganizationID, d.ID, d.SHA256)
	}
	return d, nil
}

// documentKey names a content of a document in S3: a replaced file gets
// a new key, so metadata never points at bytes not yet committed.
func documentKey(org, id, sha256Hex string) string {
	return "documents/" + org + "/" + id + "/" + sha256Hex
}

func (s *Service) bucket() error {
	if s.files == nil {
		return failWith(errors.New("shares: no document bucket (DOCUMENT_BUCKET)"), CodeInternal)
	}
	return nil
}

// uploadDocument stores a file of the caller's organization for an asset:
// 201 with the document, or 200 with a DuplicateDocument warning when the
// organization already has the same bytes (nothing is stored again).
func (s *Service) uploadDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, documentRoles...)
	if err != nil {
		return err
	}
	assetID := r.PathValue("assetId")
	if !validAssetID(assetID) {
		return badField("assetId")
	}
	f, err := readDocumentForm(r, true)
	if err != nil {
		return err
	}
	for _, req := range []struct {
		name    string
		present bool
	}{{"displayname", f.DisplayName != nil}, {"organizationId", f.OrganizationID != nil}, {"categoryId", f.Category != nil}, {"file", f.File != nil}} {
		if !req.present {
			return badField(req.name)
		}
	}
	if *f.OrganizationID != p.Organization {
		return fail(CodeNoPermission)
	}
	if err := s.bucket(); err != nil {
		return err
	}
	now := s.nowMillis()
	d, err := f.apply(Document{ID: uuid.NewString(), OrganizationID: p.Organization, AssetID: assetID,
		CreatedBy: p.Subject, UpdatedBy: p.Subject, CreatedAt: now, ModifiedAt: now})
	if err != nil {
		return err
	}
	ctx := r.Context()
	if id, err := s.store.DocumentWithContent(ctx, p.Organization, d.SHA256); err == nil {
		return s.duplicate(w, ctx, p.Organization, id)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := s.files.Put(ctx, d.Key, f.File.Data, contentHeader(d)); err != nil {
		return err
	}
	err = s.store.PutDocument(ctx, d)
	if err != nil {
		s.dropObject(ctx, d.Key)
	}
	if errors.Is(err, errDuplicate) {
		id, err := s.store.DocumentWithContent(ctx, p.Organization, d.SHA256)
		if err != nil {
			return err
		}
		return s.duplicate(w, ctx, p.Organization, id)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/documents/"+d.ID)
	return writeData(w, http.StatusCreated, viewDocument(d))
}

func contentHeader(d Document) http.Header {
	return http.Header{
		"Content-Type":        {cmp.Or(d.Mimetype, "application/octet-stream")},
		"Content-Disposition": {mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename})},
	}
}

// duplicate answers the DuplicateDocument warning naming document id.
func (s *Service) duplicate(w http.ResponseWriter, ctx context.Context, org, id string) error {
	d, err := s.store.GetDocument(ctx, org, id)
	if err != nil {
		return err
	}
	var v DuplicateView
	v.WarningCode = "DuplicateDocument"
	v.Message = fmt.Sprintf("Document %q (filename: %s, id: %s) already exists and was not uploaded again, linked to asset(s) %s.", d.DisplayName, d.Filename, d.ID, d.AssetID)
	v.Extension.Document = viewDocument(d)
	return writeData(w, http.StatusOK, v)
}

// dropObject deletes an object no committed document names; a failure
// leaves an orphan, which is logged.
func (s *Service) dropObject(ctx context.Context, key string) {
	if err := s.files.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.logger().ErrorContext(ctx, "delete unreferenced document object", "key", key, "err", err)
	}
}

// patchDocument changes a document's metadata and, with a file part,
// replaces its content: 200 with the document.
func (s *Service) patchDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, documentRoles...)
	if err != nil {
		return err
	}
	id, err := parseUUID("fileId", r.PathValue("fileId"))
	if err != nil {
		return err
	}
	f, err := readDocumentForm(r, false)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cur, err := s.document(ctx, p.Organization, id)
	if err != nil {
		return err
	}
	d, err := f.apply(cur)
	if err != nil {
		return err
	}
	d.UpdatedBy, d.ModifiedAt = p.Subject, max(s.nowMillis(), cur.ModifiedAt+1)
	if f.File != nil && d.Key != cur.Key {
		if err := s.bucket(); err != nil {
			return err
		}
		if err := s.files.Put(ctx, d.Key, f.File.Data, contentHeader(d)); err != nil {
			return err
		}
	}
	err = s.store.UpdateDocument(ctx, cur, d)
	if d.Key != cur.Key {
		if err != nil {
			s.dropObject(ctx, d.Key)
		} else if cur.Key != "" {
			s.dropObject(ctx, cur.Key)
		}
	}
	switch {
	case errors.Is(err, errDuplicate):
		return fail(CodeConflict, "reason", "DuplicateDocument")
	case errors.Is(err, errCondition):
		return fail(CodeConflict)
	case err != nil:
		return err
	}
	return writeData(w, http.StatusOK, viewDocument(d))
}

// deleteDocument removes a document nobody was given: 409 once shared.
func (s *Service) deleteDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, documentRoles...)
	if err != nil {
		return err
	}
	id, err := parseUUID("fileId", r.PathValue("fileId"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.document(ctx, p.Organization, id)
	if err != nil {
		return err
	}
	if d.Shared {
		return fail(CodeConflict, "reason", "DocumentShared")
	}
	if err := s.store.DeleteDocument(ctx, d); errors.Is(err, errCondition) {
		if _, err := s.store.GetDocument(ctx, p.Organization, id); errors.Is(err, store.ErrNotFound) {
			return fail(CodeNotFound)
		}
		return fail(CodeConflict, "reason", "DocumentShared")
	} else if err != nil {
		return err
	}
	if d.Key != "" && s.files != nil {
		s.dropObject(ctx, d.Key)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getDocument answers a document to the staff of its organization and
// to recipients it is shared with while their access is active.
func (s *Service) getDocument(w http.ResponseWriter, r *http.Request) error {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return fail(CodeUnauthorized)
	}
	id, err := parseUUID("fileId", r.PathValue("fileId"))
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
	return writeData(w, http.StatusOK, viewDocument(d))
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
