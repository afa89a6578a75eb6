// Package openapi assembles gatehouse's OpenAPI 3.1 document from one
// fragment per feature (spec/*.yaml, embedded) and checks real responses
// against it in tests.
//
// Each fragment is a standalone OpenAPI 3.1 document (openapi, info,
// paths, components). base.yaml holds info, servers, security and the
// shared components (Problem, common error responses); every other
// fragment adds its own paths and components and may $ref base.yaml's as
// #/components/... . See README.md.
package openapi

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed spec/*.yaml
var specFS embed.FS

// BaseFragment is the fragment that owns the document-wide fields.
const BaseFragment = "base.yaml"

// Fragment is one spec file.
type Fragment struct {
	Name string // file name, e.g. "collaborators.yaml"
	Data []byte
}

// Fragments returns the embedded fragments, base.yaml first, then the
// others by name.
func Fragments() ([]Fragment, error) {
	names, err := fs.Glob(specFS, "spec/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Slice(names, func(i, j int) bool {
		bi, bj := path.Base(names[i]) == BaseFragment, path.Base(names[j]) == BaseFragment
		if bi != bj {
			return bi
		}
		return names[i] < names[j]
	})
	out := make([]Fragment, 0, len(names))
	for _, n := range names {
		data, err := specFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Fragment{Name: path.Base(n), Data: data})
	}
	return out, nil
}

var document = sync.OnceValues(func() ([]byte, error) {
	frags, err := Fragments()
	if err != nil {
		return nil, err
	}
	return Merge(frags)
})

// Document returns the merged document as YAML.
func Document() ([]byte, error) { return document() }

// ErrConflict is wrapped by every merge error caused by two fragments
// defining the same thing differently.
var ErrConflict = errors.New("openapi: fragments conflict")

// Merge unites fragments into one document: the first fragment (base.yaml)
// gives openapi, info, servers, security, tags and externalDocs; paths and
// each components map are the union of all fragments. A path defined twice
// or a component name defined twice with different content is an error;
// identical repeated definitions are allowed (so a fragment may copy a
// shared schema to stay standalone).
func Merge(frags []Fragment) ([]byte, error) {
	if len(frags) == 0 || frags[0].Name != BaseFragment {
		return nil, fmt.Errorf("openapi: the first fragment must be %s", BaseFragment)
	}
	var doc yaml.Node
	root, err := parseFragment(frags[0], &doc)
	if err != nil {
		return nil, err
	}
	m := newMerger(root, frags[0].Name)
	for _, f := range frags[1:] {
		if err := m.add(f); err != nil {
			return nil, err
		}
	}
	return encode(&doc)
}

// merger grows the base fragment's document and remembers which
// fragment defined each path and component, to name both in conflicts.
type merger struct {
	root, paths, comps, tags *yaml.Node
	version                  string
	pathFrom, compFrom       map[string]string // by path; by "section/name"
}

func newMerger(root *yaml.Node, base string) *merger {
	m := &merger{root: root, version: scalar(root, "openapi"), paths: ensureMap(root, "paths"), comps: ensureMap(root, "components"),
		tags: lookup(root, "tags"), pathFrom: map[string]string{}, compFrom: map[string]string{}}
	for i := 0; i+1 < len(m.paths.Content); i += 2 {
		m.pathFrom[m.paths.Content[i].Value] = base
	}
	for i := 0; i+1 < len(m.comps.Content); i += 2 {
		sec := m.comps.Content[i+1]
		for j := 0; j+1 < len(sec.Content); j += 2 {
			m.compFrom[m.comps.Content[i].Value+"/"+sec.Content[j].Value] = base
		}
	}
	return m
}

// add merges one non-base fragment.
func (m *merger) add(f Fragment) error {
	var fd yaml.Node
	top, err := parseFragment(f, &fd)
	if err != nil {
		return err
	}
	if v := scalar(top, "openapi"); v != m.version {
		return fmt.Errorf("openapi: %s: openapi %q, want %q as in %s", f.Name, v, m.version, BaseFragment)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		switch key {
		case "openapi", "info":
			// Required for a standalone fragment; base.yaml's win.
		case "paths":
			err = m.addPaths(val, f.Name)
		case "components":
			err = m.addComponents(val, f.Name)
		case "tags":
			err = m.addTags(val, f.Name)
		default:
			err = fmt.Errorf("openapi: %s: top-level %q belongs in %s", f.Name, key, BaseFragment)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// addPaths appends paths; a path may be defined once only.
func (m *merger) addPaths(val *yaml.Node, from string) error {
	for j := 0; j+1 < len(val.Content); j += 2 {
		p := val.Content[j].Value
		if prev, ok := m.pathFrom[p]; ok {
			return fmt.Errorf("%w: path %s is in %s and %s", ErrConflict, p, prev, from)
		}
		m.pathFrom[p] = from
		m.paths.Content = append(m.paths.Content, val.Content[j], val.Content[j+1])
	}
	return nil
}

// addComponents appends each section's components; one defined before
// must be identical and is skipped.
func (m *merger) addComponents(val *yaml.Node, from string) error {
	for j := 0; j+1 < len(val.Content); j += 2 {
		secName, sec := val.Content[j].Value, val.Content[j+1]
		dst := ensureMap(m.comps, secName)
		for k := 0; k+1 < len(sec.Content); k += 2 {
			name := sec.Content[k].Value
			id := secName + "/" + name
			prev, ok := m.compFrom[id]
			if !ok {
				m.compFrom[id] = from
				dst.Content = append(dst.Content, sec.Content[k], sec.Content[k+1])
				continue
			}
			same, err := equalNodes(lookup(dst, name), sec.Content[k+1])
			if err != nil {
				return fmt.Errorf("openapi: %s: %s: %w", from, id, err)
			}
			if !same {
				return fmt.Errorf("%w: components/%s differs between %s and %s", ErrConflict, id, prev, from)
			}
		}
	}
	return nil
}

// addTags merges tags into the document's, creating them when base.yaml
// has none.
func (m *merger) addTags(val *yaml.Node, from string) error {
	if m.tags == nil {
		m.tags = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		m.root.Content = append(m.root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "tags"}, m.tags)
	}
	m.tags.Style &^= yaml.FlowStyle
	return mergeTags(m.tags, val, from)
}

func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseFragment(f Fragment, doc *yaml.Node) (*yaml.Node, error) {
	if err := yaml.Unmarshal(f.Data, doc); err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", f.Name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("openapi: %s: not a YAML mapping", f.Name)
	}
	m := doc.Content[0]
	for _, k := range []string{"openapi", "info", "paths"} {
		if lookup(m, k) == nil {
			return nil, fmt.Errorf("openapi: %s: missing %q (each fragment is a standalone document)", f.Name, k)
		}
	}
	for _, k := range []string{"paths", "components"} {
		if n := lookup(m, k); n != nil && n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("openapi: %s: %q is not a mapping", f.Name, k)
		}
	}
	if c := lookup(m, "components"); c != nil {
		for i := 1; i < len(c.Content); i += 2 {
			if c.Content[i].Kind != yaml.MappingNode {
				return nil, fmt.Errorf("openapi: %s: components/%s is not a mapping", f.Name, c.Content[i-1].Value)
			}
		}
	}
	return m, nil
}

func mergeTags(dst, src *yaml.Node, from string) error {
	if src.Kind != yaml.SequenceNode {
		return fmt.Errorf("openapi: %s: tags is not a list", from)
	}
	for _, t := range src.Content {
		name := scalar(t, "name")
		var existing *yaml.Node
		for _, d := range dst.Content {
			if scalar(d, "name") == name {
				existing = d
			}
		}
		if existing == nil {
			dst.Content = append(dst.Content, t)
			continue
		}
		if same, err := equalNodes(existing, t); err != nil || !same {
			return fmt.Errorf("%w: tag %q is defined differently in %s", ErrConflict, name, from)
		}
	}
	return nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(m *yaml.Node, key string) string {
	if n := lookup(m, key); n != nil {
		return n.Value
	}
	return ""
}

func ensureMap(m *yaml.Node, key string) *yaml.Node {
	if n := lookup(m, key); n != nil {
		n.Style &^= yaml.FlowStyle // "paths: {}" grows into a block mapping
		return n
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, n)
	return n
}

func equalNodes(a, b *yaml.Node) (bool, error) {
	var va, vb any
	if err := a.Decode(&va); err != nil {
		return false, err
	}
	if err := b.Decode(&vb); err != nil {
		return false, err
	}
	return reflect.DeepEqual(va, vb), nil
}
