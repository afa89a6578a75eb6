package blob

// ObjectURL exposes the bucket's object URLs to the tests.
func ObjectURL(s *Store, key string) (string, error) {
	u, err := s.b.ObjectURL(key)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}
