package blob

// ObjectURL exposes objectURL to the tests.
func ObjectURL(s *Store, key string) (string, error) {
	u, err := s.objectURL(key)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}
